"""The README's Python exceptions table is checked against the core's behaviour.

Every row names an exception class and what `may_have_executed` is for it. For each row this
file holds the situations the row speaks of, makes each one happen through the real stack
(the sandbox's faults, a refused or a stuck connection), and renders the `may_have_executed`
cell from what the core answered: the README must hold exactly that cell. When the core and the
table disagree (the table once said `False` for a 3xx), this fails and prints the cell to write.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

import yunxiao_appstack as yx

from support import APP, ORG, STAGE, WORKFLOW, Sandbox

README = Path(__file__).resolve().parents[2] / "README.md"

# A situation: (the words the table uses for it, how to make it happen -> the error raised).
Situation = Tuple[str, Callable[[Sandbox], yx.YunxiaoError]]


def _raised(action: Callable[[], Any]) -> yx.YunxiaoError:
    try:
        action()
    except yx.YunxiaoError as error:
        return error
    raise AssertionError("expected an exception, the call succeeded")


def fault(*faults: Dict[str, Any], **settings: Any) -> Callable[[Sandbox], yx.YunxiaoError]:
    def run(sandbox: Sandbox) -> yx.YunxiaoError:
        sandbox.faults(*faults)
        settings.setdefault("max_retries", 0)
        with sandbox.client(**settings) as client:
            return _raised(lambda: client.execute_release_stage(APP, WORKFLOW, STAGE))

    return run


def refused(sandbox: Sandbox) -> yx.YunxiaoError:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with sandbox.client(base_url=f"http://127.0.0.1:{port}", max_retries=0) as client:
        return _raised(lambda: client.execute_release_stage(APP, WORKFLOW, STAGE))


def stuck_connect(sandbox: Sandbox) -> yx.YunxiaoError:
    # A listener whose accept queue is full: Linux drops further SYNs, so connect() hangs and
    # the connect timeout runs out before anything was sent. Loopback only.
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler.connect(listener.getsockname())
        url = "http://127.0.0.1:%d" % listener.getsockname()[1]
        with sandbox.client(base_url=url, connect_timeout=0.3, max_retries=0) as client:
            return _raised(lambda: client.execute_release_stage(APP, WORKFLOW, STAGE))


def invalid(sandbox: Sandbox) -> yx.YunxiaoError:
    with sandbox.client() as client:
        return _raised(lambda: client.execute_release_stage("", WORKFLOW, STAGE))


def unconfigured(sandbox: Sandbox) -> yx.YunxiaoError:
    return _raised(lambda: yx.Client(base_url=sandbox.url, organization_id=ORG))  # no token


# The situations of each row, in the order the cell names them.
ROWS: Dict[str, List[Situation]] = {
    "APIStatusError": [
        ("for a 3xx", fault({"status": 303, "headers": {"Location": "http://127.0.0.1:1/x"}})),
        ("for 409 and the other 4xx", fault({"status": 409})),
    ],
    "BadRequestError": [("", fault({"status": 400}))],
    "AuthenticationError": [("", fault({"status": 401}))],
    "PermissionDeniedError": [("", fault({"status": 403}))],
    "NotFoundError": [("", fault({"status": 404}))],
    "RateLimitError": [("", fault({"status": 429, "headers": {"Retry-After": "120"}}))],
    "InternalServerError": [
        ("for 500 and above", fault({"status": 500})),
        ("for 503 with `Retry-After`", fault({"status": 503, "headers": {"Retry-After": "0"}})),
    ],
    "APIConnectionError": [
        ("if it never opened", refused),
        ("if it broke after sending", fault({"action": "cut_body"})),
    ],
    "APITimeoutError": [
        ("while connecting", stuck_connect),
        ("after sending", fault({"delay_ms": 3000}, timeout=0.3)),
    ],
    "InvalidRequestError": [("", invalid)],
    "ConfigurationError": [("", unconfigured)],
    "ResponseDecodeError": [("", fault({"action": "malformed_json"}))],
    "ResponseTooLargeError": [
        ("", fault({"action": "oversized", "size": 65536}, max_response_bytes=4096)),
    ],
}


def table_rows() -> Dict[str, Tuple[str, str]]:
    """{class name: (the row's class cell, its may_have_executed cell)} of the README table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Python", 1)[1].split("\n## ", 1)[0]
    errors = section.split("### Errors", 1)[1]
    rows: Dict[str, Tuple[str, str]] = {}
    for line in errors.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not line.startswith("|"):
            continue
        found = re.search(r"`(\w+(?:Error))`", cells[0])
        if found:
            rows[found.group(1)] = (cells[0], cells[2])
    return rows


def render(observed: List[Tuple[str, bool]]) -> str:
    """The cell for what was observed: one value, or each value with the situations it is for."""
    values = {value for _, value in observed}
    if len(values) == 1:
        return f"`{observed[0][1]}`"
    return "; ".join(f"`{value}` {label}" for label, value in observed)


def test_every_row_is_checked_and_every_class_documented() -> None:
    rows = table_rows()
    assert set(rows) == set(ROWS), "rows of the table vs. rows this test checks"
    documented = {
        name
        for name in dir(yx)
        if name.endswith("Error") and name != "YunxiaoError" and getattr(yx, name).__name__ == name
    }
    assert documented <= set(rows), f"exceptions missing from the table: {documented - set(rows)}"


@pytest.mark.parametrize("name", sorted(ROWS))
def test_the_cell_says_what_the_core_does(sandbox: Sandbox, name: str) -> None:
    observed: List[Tuple[str, bool]] = []
    for label, make in ROWS[name]:
        sandbox.reset()
        error = make(sandbox)
        assert type(error).__name__ == name, f"{label or name}: got {error!r}"
        observed.append((label, error.may_have_executed))
    expected = render(observed)
    cell = table_rows()[name][1]
    assert cell == expected, f"README, {name}: the may_have_executed cell must read {expected!r}"
