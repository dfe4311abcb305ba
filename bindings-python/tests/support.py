"""Test support: a real sandbox server on loopback and its control API.

The sandbox binary is `$CARGO_TARGET_DIR/debug/yunxiao-sandbox` (default target dir: the
workspace's `target/`), or the path in `YUNXIAO_SANDBOX_BIN`. `scripts/test.sh` builds it.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

import yunxiao_appstack as yx

WORKSPACE = Path(__file__).resolve().parents[2]
SANDBOX_TOKEN = "pt-sandbox-token"
ORG = "sandbox-org"
APP = "my-web-service"
WORKFLOW = "wf-main"
STAGE = "stage-deploy"
ENV_NAMES = (
    "YUNXIAO_ACCESS_TOKEN",
    "YUNXIAO_API_BASE_URL",
    "YUNXIAO_EDITION",
    "YUNXIAO_ORGANIZATION_ID",
    "YUNXIAO_TIMEOUT",
    "YUNXIAO_CONNECT_TIMEOUT",
    "YUNXIAO_MAX_RETRIES",
)


def sandbox_binary() -> Path:
    explicit = os.environ.get("YUNXIAO_SANDBOX_BIN")
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("CARGO_TARGET_DIR") or WORKSPACE / "target")
    if not target.is_absolute():
        target = WORKSPACE / target
    return target / "debug" / "yunxiao-sandbox"


class Sandbox:
    """A running `yunxiao-sandbox` process and its control API."""

    def __init__(
        self,
        token: Optional[str] = None,
        clock_scale: Optional[float] = None,
        tls: bool = False,
        idle_timeout_ms: Optional[int] = None,
    ) -> None:
        binary = sandbox_binary()
        if not binary.exists():
            raise RuntimeError(
                f"sandbox binary not found at {binary}: run `cargo build -p yunxiao-sandbox` "
                "(scripts/test.sh does) or set YUNXIAO_SANDBOX_BIN"
            )
        args = [str(binary), "--port", "0", "--log-level", "warn"]
        if token is not None:
            args += ["--token", token]
        if clock_scale is not None:
            # A fast clock for the lifecycle scenarios: a 10 s job takes 10 ms at 1000.
            args += ["--clock-scale", str(clock_scale)]
        if tls:
            # HTTPS with a CA made at start; its path is the first line on stderr.
            args += ["--tls"]
        if idle_timeout_ms is not None:
            # The server closes connections idle this long: what a pooled connection meets.
            args += ["--idle-timeout-ms", str(idle_timeout_ms)]
        self.token = token or SANDBOX_TOKEN
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if tls else subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("https://" if tls else "http://"):
            self.process.kill()
            raise RuntimeError(f"the sandbox did not announce its URL (got {line!r})")
        self.url = line
        self.ca_path: Optional[str] = None
        self._ssl: Optional[ssl.SSLContext] = None
        if tls:
            assert self.process.stderr is not None
            first = self.process.stderr.readline().strip()
            if not first.startswith("ca_path: "):
                self.process.kill()
                raise RuntimeError(f"the sandbox did not name its CA (got {first!r})")
            self.ca_path = first[len("ca_path: ") :]
            self._ssl = ssl.create_default_context(cafile=self.ca_path)
            # Keep reading its logs, or a full pipe would stall the server.
            threading.Thread(target=self.process.stderr.read, daemon=True).start()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10, context=self._ssl) as answer:
            return json.loads(answer.read())

    def reset(self) -> None:
        self.control("POST", "/_sandbox/reset")

    def faults(self, *faults: Dict[str, Any]) -> None:
        self.control("POST", "/_sandbox/faults", list(faults))

    def requests(self) -> List[Dict[str, Any]]:
        records: List[Dict[str, Any]] = self.control("GET", "/_sandbox/requests")["requests"]
        return records

    def connections_accepted(self) -> int:
        """TCP connections the server accepted so far, this request's own included (each
        control request comes on a connection of its own)."""
        accepted: int = self.control("GET", "/_sandbox/health")["connections_accepted"]
        return accepted

    def count(self) -> int:
        count: int = self.control("GET", "/_sandbox/requests")["count"]
        return count

    def client(self, **settings: Any) -> yx.Client:
        if self.ca_path is not None:
            settings.setdefault("ca_bundle", self.ca_path)
        settings.setdefault("token", self.token)
        settings.setdefault("base_url", self.url)
        settings.setdefault("organization_id", ORG)
        settings.setdefault("timeout", 10.0)
        return yx.Client(**settings)

    def async_client(self, **settings: Any) -> yx.AsyncClient:
        if self.ca_path is not None:
            settings.setdefault("ca_bundle", self.ca_path)
        settings.setdefault("token", self.token)
        settings.setdefault("base_url", self.url)
        settings.setdefault("organization_id", ORG)
        settings.setdefault("timeout", 10.0)
        return yx.AsyncClient(**settings)

    def env(self) -> Dict[str, str]:
        """The process environment plus YUNXIAO_* settings pointing at this sandbox."""
        env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
        env.update(
            YUNXIAO_ACCESS_TOKEN=self.token,
            YUNXIAO_API_BASE_URL=self.url,
            YUNXIAO_ORGANIZATION_ID=ORG,
            YUNXIAO_TIMEOUT="10",
        )
        return env


def run_python(
    code: str, env: Dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter (for what must not share this process's state)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
