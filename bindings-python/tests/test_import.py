"""Importing the package stays cheap: a deployment script that only uses ``Client`` does not pay
for asyncio (about 60 ms), which ``AsyncClient`` imports on first use."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_asyncio() -> None:
    code = "import sys, yunxiao_appstack; print('asyncio' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr
