#!/usr/bin/env python3
"""Runs every benchmark contender and writes bench/results/latest.md (latest-quick.md for a
quick run); a full run also rewrites the README's table between its bench markers.

    bench/run.py quick|full

Two tables, from one run:

- **Pinned** (the one the README quotes): a neutral server — nginx answering the documented
  JSON, captured from the sandbox at the start of the run — pinned to core 0 with `taskset`,
  each contender pinned to core 1. With the server never competing for the client's core,
  calls/s at 64 in flight is the inverse of the client's CPU per call, whatever threads the
  client spreads its work over. Every row also reports CPU time per call (user + system of the
  contender's process over the measured calls / calls). Rows: execute, and a read
  (GetReleaseStagePipelineRun) through each binding's generic bridge, beside each peer.
- **Shared**: the sandbox and every contender on the same two cores, unpinned (the original
  table; it flatters a client that spreads work over two threads).

Every contender is a separate process printing one JSON line (see bench/*/bench.*). The tables
are generated here, from this run's numbers only; nothing in them is edited by hand. Called by
bench/run.sh (`make bench`, `make bench-quick`), which builds and installs what it needs first.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
VENV_PY = ROOT / ".venv" / "bin" / "python"
TOKEN = "pt-sandbox-token"

MODES = {
    # sequential calls, concurrent calls, calls of the RSS (leak) run, wrk seconds, runs of each
    # pinned contender (the median is reported)
    "quick": {"seq": 2000, "conc": 6000, "rss": 20000, "wrk": 3, "waits": 1000, "wait_s": 15, "repeats": 1},
    "full": {"seq": 10000, "conc": 30000, "rss": 100000, "wrk": 8, "waits": 1000, "wait_s": 30, "repeats": 3},
}
SERVER_CORE, CLIENT_CORE = "0", "1"
APP_STAGE = "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy"


@dataclass
class Row:
    language: str
    contender: str
    ours: bool
    concurrency: int
    group: str = ""
    calls: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    cpu_s: float = 0.0
    call: str = "execute"
    rss_half: int = 0
    rss_end: int = 0
    error: Optional[str] = None

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def cpu_us(self) -> float:
        """CPU time of the contender's process per call, in microseconds."""
        return self.cpu_s / self.calls * 1e6 if self.calls else 0.0


@dataclass
class Report:
    rows: List[Row] = field(default_factory=list)
    pinned: List[Row] = field(default_factory=list)
    pinned_server: str = ""
    rss_rows: List[Row] = field(default_factory=list)
    imports: Dict[str, float] = field(default_factory=dict)
    sizes: Dict[str, int] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    waits: Optional[Dict[str, object]] = None
    cli_wait: Optional[Dict[str, float]] = None


def start_sandbox() -> "tuple[subprocess.Popen[str], str]":
    proc = subprocess.Popen(
        [str(TARGET / "release" / "yunxiao-sandbox"), "--port", "0", "--no-record", "--log-level", "error"],
        stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    base_url = proc.stdout.readline().strip()
    if not base_url.startswith("http://"):
        raise SystemExit(f"the sandbox did not start: {base_url!r}")
    return proc, base_url


def capture_answers(base_url: str) -> Dict[str, bytes]:
    """The sandbox's answers to the two benchmarked calls: what the neutral server replays."""
    headers = {"x-yunxiao-token": TOKEN, "Accept": "application/json", "Content-Type": "application/json"}
    body = json.dumps({"params": {"FLOW_INST_RUNNING_COMMENT": "bench", "IMAGE_TAG": "1.4.2"}}).encode()
    answers = {}
    for name, path, data in (("execute", APP_STAGE + ":execute", body),
                             ("read", APP_STAGE + "/executions/1:getPipelineRun", None)):
        request = urllib.request.Request(base_url + path, data=data, headers=headers,
                                         method="POST" if data else "GET")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answers[name] = answer.read()
    return answers


def start_nginx(answers: Dict[str, bytes], workdir: Path) -> "tuple[subprocess.Popen[bytes], str]":
    """nginx on SERVER_CORE, one worker, answering both calls with the captured JSON."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    for name, text in answers.items():
        if b"'" in text or b"$" in text or b"\\" in text:
            raise RuntimeError(f"the {name} answer cannot be quoted for nginx")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    temp = "\n".join(f"  {kind}_temp_path {workdir}/{kind};" for kind in
                      ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config = f"""daemon off;
master_process off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log stderr error;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
{temp}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    default_type application/json;
    location ~ :execute$ {{ return 200 '{answers["execute"].decode()}'; }}
    location ~ :getPipelineRun$ {{ return 200 '{answers["read"].decode()}'; }}
  }}
}}
"""
    (workdir / "nginx.conf").write_text(config)
    proc = subprocess.Popen(["taskset", "-c", SERVER_CORE, nginx, "-p", str(workdir), "-c",
                             str(workdir / "nginx.conf")])
    base_url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, base_url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {proc.returncode}")
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("nginx did not start listening")


def run_json(cmd: List[str], cwd: Optional[Path] = None, timeout: int = 300) -> Dict[str, object]:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    lines = [l for l in done.stdout.splitlines() if l.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError((done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"])
    return json.loads(lines[-1])


def measure(report: Report, language: str, contender: str, ours: bool, cmd: List[str],
            concurrency: int, cwd: Optional[Path] = None, rss: bool = False, group: str = "",
            pinned: bool = False, call: str = "execute", repeats: int = 1) -> None:
    """Runs one contender (`repeats` times, keeping the run of median rate); rows of one
    language, group, call and concurrency are compared. Pinned, the contender runs on
    CLIENT_CORE only."""
    row = Row(language, contender, ours, concurrency, group, call=call)
    if pinned:
        cmd = ["taskset", "-c", CLIENT_CORE, *cmd]
    try:
        runs = sorted((run_json(cmd, cwd) for _ in range(repeats)),
                      key=lambda d: float(d["calls"]) / float(d["seconds"]))  # type: ignore[arg-type]
        data = runs[len(runs) // 2]
        row.calls = int(data["calls"])  # type: ignore[arg-type]
        row.seconds = float(data["seconds"])  # type: ignore[arg-type]
        row.cpu_s = float(data.get("cpu_s", 0.0))  # type: ignore[arg-type]
        row.p50_ms = float(data["p50_ms"])  # type: ignore[arg-type]
        row.p99_ms = float(data["p99_ms"])  # type: ignore[arg-type]
        row.rss_half = int(data.get("rss_kb_half", 0))  # type: ignore[arg-type]
        row.rss_end = int(data.get("rss_kb_end", 0))  # type: ignore[arg-type]
    except Exception as error:  # a contender that fails is reported, not hidden
        row.error = str(error)[:200]
    (report.rss_rows if rss else report.pinned if pinned else report.rows).append(row)
    status = row.error or f"{row.rate:,.0f} calls/s, {row.cpu_us:,.1f} µs CPU/call"
    where = "pinned" if pinned else "shared"
    print(f"  {where} {language:7} {contender:22} {call:8} c={concurrency:<3} {status}", file=sys.stderr)


def median_import(cmd: List[str], runs: int = 7, cwd: Optional[Path] = None) -> Optional[float]:
    times = []
    for _ in range(runs):
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
        if done.returncode != 0:
            return None
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def nginx_version() -> str:
    done = subprocess.run([shutil.which("nginx") or "/usr/sbin/nginx", "-v"], capture_output=True, text=True)
    found = re.search(r"nginx/(\S+)", done.stderr + done.stdout)
    return found.group(1) if found else "?"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}"


def wrk(report: Report, base_url: str, seconds: int, connections: int) -> None:
    path = "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy:execute"
    row = Row("ceiling", "wrk", False, connections)
    try:
        data = run_json(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                         "-s", str(ROOT / "bench" / "wrk" / "post.lua"), base_url + path])
        row.calls, row.seconds = int(data["calls"]), float(data["seconds"])  # type: ignore[arg-type]
        row.p50_ms, row.p99_ms = float(data["p50_ms"]), float(data["p99_ms"])  # type: ignore[arg-type]
        if int(data.get("errors", 0)):  # type: ignore[arg-type]
            row.error = f"{data['errors']} errors"
    except Exception as error:
        row.error = str(error)[:200]
    report.rows.append(row)
    print(f"  ceiling wrk                    c={connections:<3} {row.error or f'{row.rate:,.0f} calls/s'}", file=sys.stderr)


def run_pinned(report: Report, m: Dict[str, int], base_url: str) -> None:
    """Every contender on CLIENT_CORE against one server on SERVER_CORE (see the module doc)."""
    repeats = m["repeats"]
    rust = str(TARGET / "release" / "yunxiao-bench-rust")
    py, pyb = str(VENV_PY), str(ROOT / "bench" / "python" / "bench.py")
    node_dir = ROOT / "bench" / "node"
    cbench = ROOT / "bench" / "c" / "build"

    def pin(language: str, contender: str, ours: bool, cmd: List[str], conc: int, call: str,
            group: str = "", cwd: Optional[Path] = None) -> None:
        measure(report, language, contender, ours, cmd, conc, cwd=cwd, group=group, pinned=True,
                call=call, repeats=repeats)

    for call, suffix in (("execute", ""), ("read", "-read")):
        for conc in (1, 64):
            calls = m["seq"] if conc == 1 else m["conc"]
            rust_contenders = [("core", "core", True), ("reqwest", "reqwest", False)]
            if call == "read":
                # The same read through the generic bridge the bindings use.
                rust_contenders.insert(1, ("core bridge", "core-bridge", True))
            for label, name, ours in rust_contenders:
                pin("rust", f"rust {label}", ours, [rust, name + suffix, base_url, TOKEN, str(calls), str(conc)], conc, call)
        sync = [("yx-client", True), ("httpx", False)] + ([("requests", False)] if call == "execute" else [])
        for name, ours in sync:
            pin("python", name, ours, [py, pyb, name + suffix, base_url, TOKEN, str(m["seq"]), "1"], 1, call, group="sync")
        for name, ours in (("yx-async", True), ("aiohttp", False)):
            pin("python", name, ours, [py, pyb, name + suffix, base_url, TOKEN, str(m["conc"]), "64"], 64, call, group="async")
        for conc in (1, 64):
            calls = m["seq"] if conc == 1 else m["conc"]
            for name, ours in (("yx", True), ("undici", False)):
                pin("node", name, ours, ["node", "bench.mjs", name + suffix, base_url, TOKEN, str(calls), str(conc)], conc, call, cwd=node_dir)
        if (cbench / "bench-yx").exists():
            extra = ["read"] if call == "read" else []
            pin("c", "yx", True, [str(cbench / "bench-yx"), base_url, TOKEN, str(m["seq"]), "1", *extra], 1, call)
            pin("c", "libcurl", False, [str(cbench / "bench-curl"), base_url, TOKEN, str(m["seq"]), *extra], 1, call)
            if call == "execute":
                pin("c", "yx threads", True, [str(cbench / "bench-yx"), base_url, TOKEN, str(m["conc"]), "4"], 4, call)


def run(mode: str, pinned_only: bool = False) -> Report:
    m = MODES[mode]
    report = Report()
    sandbox, base_url = start_sandbox()
    try:
        # The pinned table first: its server replays answers captured from this sandbox.
        try:
            answers = capture_answers(base_url)
            with tempfile.TemporaryDirectory(prefix="yx-bench-nginx-") as workdir:
                nginx, nginx_url = start_nginx(answers, Path(workdir))
                report.pinned_server = f"nginx {nginx_version()} (one worker, answers captured from the sandbox)"
                try:
                    run_pinned(report, m, nginx_url)
                finally:
                    nginx.terminate()
                    nginx.wait(timeout=10)
        except Exception as error:  # noqa: BLE001 - the shared table still runs
            report.notes.append(f"pinned benchmark failed: {error}")
        if pinned_only:
            report.notes.append("pinned table only (`bench/run.py MODE pinned`): no shared table, memory, waits or sizes")
            return report

        wrk(report, base_url, m["wrk"], 1)
        wrk(report, base_url, m["wrk"], 64)

        rust = str(TARGET / "release" / "yunxiao-bench-rust")
        for name, ours in (("core", True), ("reqwest", False)):
            measure(report, "rust", f"rust {name}", ours, [rust, name, base_url, TOKEN, str(m["seq"]), "1"], 1)
            measure(report, "rust", f"rust {name}", ours, [rust, name, base_url, TOKEN, str(m["conc"]), "64"], 64)

        py = str(VENV_PY)
        pyb = str(ROOT / "bench" / "python" / "bench.py")
        for name, ours in (("yx-client", True), ("requests", False), ("httpx", False)):
            measure(report, "python", name, ours, [py, pyb, name, base_url, TOKEN, str(m["seq"]), "1"], 1, group="sync")
        for conc in (1, 16, 64):
            calls = m["seq"] if conc == 1 else m["conc"]
            for name, ours in (("yx-async", True), ("httpx-async", False), ("aiohttp", False)):
                measure(report, "python", name, ours, [py, pyb, name, base_url, TOKEN, str(calls), str(conc)], conc, group="async")

        node_dir = ROOT / "bench" / "node"
        for conc in (1, 64):
            calls = m["seq"] if conc == 1 else m["conc"]
            for name, ours in (("yx", True), ("fetch", False), ("undici", False)):
                measure(report, "node", name, ours, ["node", "bench.mjs", name, base_url, TOKEN, str(calls), str(conc)], conc, cwd=node_dir)

        cbench = ROOT / "bench" / "c" / "build"
        if (cbench / "bench-yx").exists():
            measure(report, "c", "yx", True, [str(cbench / "bench-yx"), base_url, TOKEN, str(m["seq"]), "1"], 1)
            measure(report, "c", "yx threads", True, [str(cbench / "bench-yx"), base_url, TOKEN, str(m["conc"]), "4"], 4)
            measure(report, "c", "libcurl", False, [str(cbench / "bench-curl"), base_url, TOKEN, str(m["seq"])], 1)
        else:
            report.notes.append("C contenders not built (bench/c/build missing)")

        # Leak check: the same client over many calls; RSS at the half and at the end.
        n = str(m["rss"])
        # `rss` makes every harness keep no latencies (and collect garbage where there is a GC).
        measure(report, "rust", "rust core", True, [rust, "core", base_url, TOKEN, n, "16", "rss"], 16, rss=True)
        measure(report, "python", "yx-client", True, [py, pyb, "yx-client", base_url, TOKEN, n, "1", "rss"], 1, rss=True)
        measure(report, "python", "yx-async", True, [py, pyb, "yx-async", base_url, TOKEN, n, "16", "rss"], 16, rss=True)
        measure(report, "node", "yx", True, ["node", "--expose-gc", "bench.mjs", "yx", base_url, TOKEN, n, "16", "rss"], 16, cwd=node_dir, rss=True)
        if (cbench / "bench-yx").exists():
            measure(report, "c", "yx threads", True, [str(cbench / "bench-yx"), base_url, TOKEN, n, "4", "rss"], 4, rss=True)
        # Fan-out: one process waiting on many idle runs at once, with the default schedule.
        try:
            report.waits = run_json([str(TARGET / "release" / "yunxiao-bench-waits"), base_url, TOKEN,
                                     str(m["waits"]), str(m["wait_s"])], timeout=int(m["wait_s"]) + 240)
        except Exception as error:  # noqa: BLE001 - one failed contender must not lose the table
            report.notes.append(f"waits benchmark failed: {error}")
        try:
            report.cli_wait = cli_wait(base_url, int(m["wait_s"]))
        except Exception as error:  # noqa: BLE001
            report.notes.append(f"CLI wait benchmark failed: {error}")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)

    imp = str(ROOT / "bench" / "python" / "import_time.py")
    for module in ("yunxiao_appstack", "requests", "httpx"):
        value = median_import([py, imp, module])
        if value is not None:
            report.imports[f"python: import {module}"] = value
    for module, label in ((str(ROOT / "bindings-node"), "yunxiao-appstack"), ("undici", "undici")):
        value = median_import(["node", "import_time.cjs", module], cwd=node_dir)
        if value is not None:
            report.imports[f"node: require('{label}')"] = value

    for label, pattern in (
        ("wheel (abi3)", "target/wheels/*.whl"),
        (".node", "bindings-node/*.node"),
        ("libyunxiao_appstack.so", f"{TARGET.name}/release/libyunxiao_appstack.so"),
        ("libyunxiao_appstack.a", f"{TARGET.name}/release/libyunxiao_appstack.a"),
    ):
        matches = sorted(ROOT.glob(pattern)) if not os.path.isabs(pattern) else []
        if TARGET != ROOT / "target" and pattern.startswith("target"):
            matches = sorted(TARGET.glob(pattern[len("target/"):]))
        if matches:
            report.sizes[label] = matches[-1].stat().st_size
    return report


def cli_wait(base_url: str, seconds: int) -> Dict[str, float]:
    """The CLI's own loop on one idle run: `run wait` until its deadline; the CPU time and peak
    memory of that process alone (the kernel's accounting of waited-for children)."""
    import resource

    cli = str(TARGET / "release" / "yunxiao-appstack")
    env = {**os.environ, "YUNXIAO_ACCESS_TOKEN": TOKEN, "YUNXIAO_ORGANIZATION_ID": "sandbox-org",
           "YUNXIAO_API_BASE_URL": base_url}
    stage = ["--app", "my-web-service", "--workflow", "wf-main", "--stage", "stage-long"]
    started = subprocess.run([cli, "release-stage", "execute", *stage], env=env, capture_output=True,
                             text=True, timeout=60)
    number = started.stdout.strip().splitlines()[-1]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    clock = datetime.datetime.now()
    done = subprocess.run([cli, "run", "wait", *stage, "--number", number, "--wait-timeout", f"{seconds}s"],
                          env=env, capture_output=True, text=True, timeout=seconds + 60)
    elapsed = (datetime.datetime.now() - clock).total_seconds()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 13:
        raise RuntimeError(f"run wait exited {done.returncode}: {done.stderr[-300:]}")
    return {"seconds": elapsed,
            "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "rss_kb_peak": float(after.ru_maxrss)}


def best_peer(rows: List[Row], row: Row) -> Optional[Row]:
    peers = [r for r in rows if r.language == row.language and r.group == row.group and not r.ours
             and r.concurrency == row.concurrency and r.call == row.call and not r.error]
    return max(peers, key=lambda r: r.rate, default=None)


def pinned_table(report: Report) -> List[str]:
    """The pinned rows: calls/s and CPU per call, each of ours beside its best peer."""
    out = ["| language | call | contender | ours | in flight | calls/s | CPU µs/call | p50 ms | p99 ms | vs best peer (calls/s) | CPU vs that peer |",
           "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report.pinned:
        if r.error:
            out.append(f"| {r.language} | {r.call} | {r.contender} | {'yes' if r.ours else ''} | {r.concurrency} | failed: {r.error} | | | | | |")
            continue
        peer = best_peer(report.pinned, r) if r.ours else None
        vs_peer = f"{r.rate / peer.rate:.2f}× {peer.contender}" if peer else ""
        cpu_vs = f"{r.cpu_us / peer.cpu_us:.2f}×" if peer and peer.cpu_us else ""
        out.append(f"| {r.language} | {r.call} | {r.contender} | {'yes' if r.ours else ''} | {r.concurrency} | {r.rate:,.0f} | "
                   f"{r.cpu_us:,.1f} | {r.p50_ms:.3f} | {r.p99_ms:.3f} | {vs_peer} | {cpu_vs} |")
    return out


def render(report: Report, mode: str) -> str:
    wrk_rate = {r.concurrency: r.rate for r in report.rows if r.contender == "wrk" and not r.error}
    ceiling = max(wrk_rate.values(), default=0.0)
    out = [f"# Benchmark results ({mode})", "",
           f"Generated by `bench/run.py {mode}` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}.",
           f"Machine: {machine()}.", "",
           "## Pinned: server on core 0, each contender on core 1", "",
           f"Server: {report.pinned_server or 'not run'}, on 127.0.0.1, pinned to core {SERVER_CORE} with taskset; "
           f"each contender pinned to core {CLIENT_CORE}, so calls/s at 64 in flight is the inverse of the client's "
           "CPU per call. CPU µs/call is user + system time of the contender's whole process (every thread) over "
           f"the measured calls. `read` is GetReleaseStagePipelineRun, through each binding's generic bridge; "
           f"each row is the median of {MODES[mode]['repeats']} run(s).", ""]
    out += pinned_table(report)
    out += ["", "## Shared: the sandbox and the client on the same two cores, unpinned", "",
           "Server: the sandbox (release build, recording off) on 127.0.0.1, sharing the cores with the client: "
           "a client that spreads work over two threads looks faster here than one that does less work.", "",
           "| language | contender | ours | concurrency | calls/s | p50 ms | p99 ms | vs best peer | vs wrk (best) |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in report.rows:
        if r.error:
            out.append(f"| {r.language} | {r.contender} | {'yes' if r.ours else ''} | {r.concurrency} | failed: {r.error} | | | | |")
            continue
        peer = best_peer(report.rows, r) if r.ours else None
        vs_peer = f"{r.rate / peer.rate:.2f}× {peer.contender}" if peer else ""
        vs_wrk = f"{r.rate / ceiling:.0%}" if ceiling and r.contender != "wrk" else ""
        out.append(f"| {r.language} | {r.contender} | {'yes' if r.ours else ''} | {r.concurrency} | {r.rate:,.0f} | "
                   f"{r.p50_ms:.3f} | {r.p99_ms:.3f} | {vs_peer} | {vs_wrk} |")
    out += ["", "## Memory over many calls (one client)", "",
            "| language | contender | calls | RSS at half (KiB) | RSS at end (KiB) | growth (KiB) |",
            "|---|---|---:|---:|---:|---:|"]
    for r in report.rss_rows:
        if r.error:
            out.append(f"| {r.language} | {r.contender} | failed: {r.error} | | | |")
        else:
            out.append(f"| {r.language} | {r.contender} | {r.calls:,} | {r.rss_half:,} | {r.rss_end:,} | {r.rss_end - r.rss_half:+,} |")
    if report.waits:
        w = report.waits
        out += ["", f"## Waiting on {w['runs']:,} runs at once (Rust, one process, default poll schedule)", "",
                "| runs | seconds | polls per run | schedule's polls | CPU s (idle runs) | CPU ms per run-minute | RSS before (KiB) | peak RSS (KiB) |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|",
                f"| {w['runs']:,} | {float(w['seconds']):.1f} | {float(w['polls_per_run']):.2f} | {w['schedule_polls']} | "
                f"{float(w['cpu_seconds']):.2f} | {float(w['cpu_ms_per_run_minute']):.2f} | {int(w['rss_kb_before']):,} | {int(w['rss_kb_peak']):,} |"]
    if report.cli_wait:
        c = report.cli_wait
        out += ["", "The CLI's own loop on one idle run (`run wait` until its deadline): "
                f"{c['seconds']:.1f} s, {c['cpu_seconds'] * 1000:.0f} ms of CPU, peak RSS of the "
                f"waited-for processes {int(c['rss_kb_peak']):,} KiB."]
    out += ["", "## Import / require time (median of 7 fresh processes)", "", "| what | ms |", "|---|---:|"]
    out += [f"| {k} | {v * 1000:.1f} |" for k, v in report.imports.items()]
    out += ["", "## Artifact sizes", "", "| artifact | bytes |", "|---|---:|"]
    out += [f"| {k} | {v:,} |" for k, v in report.sizes.items()]
    out += ["", "## Targets (the pinned table; memory from the RSS rows)", ""] + targets(report)
    if report.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(out) + "\n"


def targets(report: Report) -> List[str]:
    """The goals of issue 14, checked on the pinned table (memory on the RSS rows)."""
    def find(language: str, contender: str, conc: int, call: str = "execute") -> Optional[Row]:
        for r in report.pinned:
            if (r.language, r.contender, r.concurrency, r.call) == (language, contender, conc, call) and not r.error:
                return r
        return None

    def rate(language: str, contender: str, conc: int, call: str = "execute") -> float:
        row = find(language, contender, conc, call)
        return row.rate if row else 0.0

    lines = []

    def check(label: str, ours: float, theirs: float, goal: float) -> None:
        if not ours or not theirs:
            lines.append(f"- {label}: not measured")
            return
        ratio = ours / theirs
        lines.append(f"- {label}: {ratio:.2f}× (goal ≥ {goal}×) — {'met' if ratio >= goal else '**missed**'}")

    check("Node vs undici.request, sequential", rate("node", "yx", 1), rate("node", "undici", 1), 1.0)
    check("Node vs undici.request, 64 in flight", rate("node", "yx", 64), rate("node", "undici", 64), 1.0)
    check("C vs libcurl (reused easy handle), sequential", rate("c", "yx", 1), rate("c", "libcurl", 1), 1.0)
    check("Rust core vs bare reqwest, sequential", rate("rust", "rust core", 1), rate("rust", "rust reqwest", 1), 0.95)
    check("Rust core vs bare reqwest, 64 in flight", rate("rust", "rust core", 64), rate("rust", "rust reqwest", 64), 0.95)
    check("Python Client vs httpx.Client, sequential", rate("python", "yx-client", 1), rate("python", "httpx", 1), 2.0)
    check("Python AsyncClient vs aiohttp, 64 in flight", rate("python", "yx-async", 64), rate("python", "aiohttp", 64), 2.0)
    for language, contender, conc in (("rust", "rust core", 1), ("rust", "rust core", 64),
                                      ("rust", "rust core bridge", 1), ("rust", "rust core bridge", 64), ("python", "yx-client", 1),
                                      ("python", "yx-async", 64), ("node", "yx", 1), ("node", "yx", 64), ("c", "yx", 1)):
        execute = find(language, contender.replace(" bridge", ""), conc)
        read = find(language, contender, conc, "read")
        if not execute or not read or not execute.cpu_us:
            lines.append(f"- {language} {contender} (in flight {conc}), read through the bridge vs execute: not measured")
            continue
        ratio = read.cpu_us / execute.cpu_us
        lines.append(f"- {language} {contender} (in flight {conc}), CPU per read through the bridge vs per execute: "
                     f"{ratio:.2f}× (goal ≤ 1.10×) — {'met' if ratio <= 1.10 else '**missed**'}")
    yx_import = report.imports.get("python: import yunxiao_appstack")
    req_import = report.imports.get("python: import requests")
    if yx_import and req_import:
        ratio = yx_import / req_import
        lines.append(f"- import yunxiao_appstack vs import requests: {ratio:.2f}× (goal ≤ 0.5×) — {'met' if ratio <= 0.5 else '**missed**'}")
    for r in report.rss_rows:
        if not r.error:
            growth = (r.rss_end - r.rss_half) / 1024
            lines.append(f"- RSS growth, {r.language} {r.contender}, calls {r.calls // 2:,}→{r.calls:,} (GC forced before each sample): "
                         f"{growth:+.2f} MiB (goal < 1 MiB) — {'met' if growth < 1 else '**missed**'}")
    return lines


README_START, README_END = "<!-- bench:pinned:start -->", "<!-- bench:pinned:end -->"


def readme_table(report: Report) -> List[str]:
    """The pinned rows of ours beside their best peer: what the README quotes."""
    out = ["| language | call | in flight | ours | calls/s | CPU µs/call | best peer | calls/s | CPU µs/call | ratio (calls/s) |",
           "|---|---|---:|---|---:|---:|---|---:|---:|---:|"]
    for r in report.pinned:
        if not r.ours:
            continue
        if r.error:
            out.append(f"| {r.language} | {r.call} | {r.concurrency} | {r.contender} | failed | | | | | |")
            continue
        peer = best_peer(report.pinned, r)
        tail = (f"{peer.contender} | {peer.rate:,.0f} | {peer.cpu_us:,.1f} | {r.rate / peer.rate:.2f}×"
                if peer else "| | |")
        out.append(f"| {r.language} | {r.call} | {r.concurrency} | {r.contender} | {r.rate:,.0f} | {r.cpu_us:,.1f} | {tail} |")
    return out


def update_readme(report: Report) -> None:
    """Rewrites the README's pinned table (between its markers) from this run."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start or not report.pinned:
        print("README not updated: no bench markers or no pinned rows", file=sys.stderr)
        return
    stamp = f"<!-- generated by bench/run.py full on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}; do not edit -->"
    body = "\n".join([README_START, stamp, *readme_table(report), README_END])
    readme.write_text(text[:start] + body + text[end + len(README_END):])


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "quick"
    pinned_only = sys.argv[2:3] == ["pinned"]
    if mode not in MODES or len(sys.argv) > 3 or (len(sys.argv) == 3 and not pinned_only):
        raise SystemExit("usage: bench/run.py quick|full [pinned]")
    print(f"bench ({mode}{', pinned table only' if pinned_only else ''})", file=sys.stderr)
    report = run(mode, pinned_only)
    text = render(report, mode)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    # The complete full run is the one the README quotes; nothing else may overwrite it.
    complete = mode == "full" and not pinned_only
    (results / ("latest.md" if complete else f"latest-{mode}{'-pinned' if pinned_only else ''}.md")).write_text(text)
    if complete:
        update_readme(report)
    print(text)


if __name__ == "__main__":
    main()
