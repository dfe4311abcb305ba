"""The Python examples of the project README (its Python section) run against the sandbox and
type-check under `mypy --strict`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest

import yunxiao_appstack as yx
from yunxiao_appstack import _native

from support import Sandbox, run_python

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> List[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


BLOCKS = python_blocks()


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(sandbox: Sandbox, index: int) -> None:
    done = run_python(BLOCKS[index], sandbox.env())
    assert done.returncode == 0, f"example {index}:\n{BLOCKS[index]}\n{done.stderr}"
    assert "Traceback" not in done.stderr


def test_readme_examples_pass_mypy_strict(tmp_path: Path) -> None:
    mypy_api = pytest.importorskip("mypy.api", reason="mypy is installed by scripts/test.sh")
    files = []
    for index, block in enumerate(BLOCKS):
        path = tmp_path / f"readme_example_{index}.py"
        path.write_text(block, encoding="utf-8")
        files.append(str(path))
    stdout, stderr, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy_cache"), *files]
    )
    assert status == 0, stdout + stderr


def test_documented_defaults_are_the_cores() -> None:
    # The README and the Client docstring quote the core's defaults; they must not drift.
    mib = _native.DEFAULT_MAX_RESPONSE_BYTES // (1024 * 1024)
    quoted = [
        _native.DEFAULT_BASE_URL,
        f"{_native.DEFAULT_TIMEOUT:g} s per attempt",
        f"{_native.DEFAULT_CONNECT_TIMEOUT:g} s",
        f"{_native.DEFAULT_MAX_RETRIES} (at most {_native.MAX_RETRIES_LIMIT})",
        f"{mib} MiB",
    ]
    readme = README.read_text(encoding="utf-8")
    docstring = yx.Client.__doc__ or ""
    for text in quoted:
        assert text in readme, text
        assert text in docstring or text.endswith("MiB"), text
    assert f"({mib} MiB)" in docstring
