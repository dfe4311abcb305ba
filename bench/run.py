#!/usr/bin/env python3
"""Runs every benchmark contender against one sandbox and writes bench/results/latest.md
(latest-quick.md for a quick run).

    bench/run.py quick|full

Every contender is a separate process printing one JSON line (see bench/*/bench.*). The table
is generated here, from this run's numbers only; nothing in it is edited by hand. Called by
bench/run.sh (`make bench`, `make bench-quick`), which builds and installs what it needs first.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
VENV_PY = ROOT / ".venv" / "bin" / "python"
TOKEN = "pt-sandbox-token"

MODES = {
    # sequential calls, concurrent calls, calls of the RSS (leak) run, wrk seconds
    "quick": {"seq": 2000, "conc": 6000, "rss": 20000, "wrk": 3, "waits": 1000, "wait_s": 15},
    "full": {"seq": 10000, "conc": 30000, "rss": 100000, "wrk": 8, "waits": 1000, "wait_s": 30},
}


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
    rss_half: int = 0
    rss_end: int = 0
    error: Optional[str] = None

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0


@dataclass
class Report:
    rows: List[Row] = field(default_factory=list)
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


def run_json(cmd: List[str], cwd: Optional[Path] = None, timeout: int = 300) -> Dict[str, object]:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    lines = [l for l in done.stdout.splitlines() if l.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError((done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"])
    return json.loads(lines[-1])


def measure(report: Report, language: str, contender: str, ours: bool, cmd: List[str],
            concurrency: int, cwd: Optional[Path] = None, rss: bool = False, group: str = "") -> None:
    """Runs one contender; rows of one language, group and concurrency are compared."""
    row = Row(language, contender, ours, concurrency, group)
    try:
        data = run_json(cmd, cwd)
        row.calls = int(data["calls"])  # type: ignore[arg-type]
        row.seconds = float(data["seconds"])  # type: ignore[arg-type]
        row.p50_ms = float(data["p50_ms"])  # type: ignore[arg-type]
        row.p99_ms = float(data["p99_ms"])  # type: ignore[arg-type]
        row.rss_half = int(data.get("rss_kb_half", 0))  # type: ignore[arg-type]
        row.rss_end = int(data.get("rss_kb_end", 0))  # type: ignore[arg-type]
    except Exception as error:  # a contender that fails is reported, not hidden
        row.error = str(error)[:200]
    (report.rss_rows if rss else report.rows).append(row)
    status = row.error or f"{row.rate:,.0f} calls/s"
    print(f"  {language:7} {contender:22} c={concurrency:<3} {status}", file=sys.stderr)


def median_import(cmd: List[str], runs: int = 7, cwd: Optional[Path] = None) -> Optional[float]:
    times = []
    for _ in range(runs):
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
        if done.returncode != 0:
            return None
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


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


def run(mode: str) -> Report:
    m = MODES[mode]
    report = Report()
    sandbox, base_url = start_sandbox()
    try:
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
             and r.concurrency == row.concurrency and not r.error]
    return max(peers, key=lambda r: r.rate, default=None)


def render(report: Report, mode: str) -> str:
    wrk_rate = {r.concurrency: r.rate for r in report.rows if r.contender == "wrk" and not r.error}
    ceiling = max(wrk_rate.values(), default=0.0)
    out = [f"# Benchmark results ({mode})", "",
           f"Generated by `bench/run.py {mode}` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}.",
           f"Machine: {machine()}. Server: the sandbox (release build, recording off) on 127.0.0.1, "
           "sharing the cores with the client.", "",
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
    out += ["", "## Targets", ""] + targets(report)
    if report.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(out) + "\n"


def targets(report: Report) -> List[str]:
    def rate(language: str, contender: str, conc: int) -> float:
        for r in report.rows:
            if r.language == language and r.contender == contender and r.concurrency == conc and not r.error:
                return r.rate
        return 0.0

    lines = []

    def check(label: str, ours: float, theirs: float, goal: float) -> None:
        if not ours or not theirs:
            lines.append(f"- {label}: not measured")
            return
        ratio = ours / theirs
        lines.append(f"- {label}: {ratio:.2f}× (goal ≥ {goal}×) — {'met' if ratio >= goal else '**missed**'}")

    check("Python Client vs requests.Session, sequential", rate("python", "yx-client", 1), rate("python", "requests", 1), 1.5)
    check("Python Client vs httpx.Client, sequential", rate("python", "yx-client", 1), rate("python", "httpx", 1), 1.2)
    check("Node vs undici.request, sequential", rate("node", "yx", 1), rate("node", "undici", 1), 1.0)
    check("C vs libcurl, sequential", rate("c", "yx", 1), rate("c", "libcurl", 1), 0.9)
    check("Rust core vs bare reqwest, sequential", rate("rust", "rust core", 1), rate("rust", "rust reqwest", 1), 0.9)
    check("Python AsyncClient vs aiohttp, concurrency 64", rate("python", "yx-async", 64), rate("python", "aiohttp", 64), 1.5)
    check("Node vs undici.request, concurrency 64", rate("node", "yx", 64), rate("node", "undici", 64), 1.0)
    ours_best = max((r.rate for r in report.rows if r.ours and r.concurrency == 64 and not r.error), default=0.0)
    check("best of ours at concurrency 64 vs wrk -c64", ours_best, rate("ceiling", "wrk", 64), 0.5)
    yx_import = report.imports.get("python: import yunxiao_appstack")
    req_import = report.imports.get("python: import requests")
    if yx_import and req_import:
        ratio = yx_import / req_import
        lines.append(f"- import yunxiao_appstack vs import requests: {ratio:.2f}× (goal ≤ 0.5×) — {'met' if ratio <= 0.5 else '**missed**'}")
    for r in report.rss_rows:
        if not r.error:
            growth = (r.rss_end - r.rss_half) / 1024
            lines.append(f"- RSS growth, {r.language} {r.contender}, calls {r.calls // 2:,}→{r.calls:,}: {growth:+.2f} MiB (goal < 1 MiB) — {'met' if growth < 1 else '**missed**'}")
    return lines


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "quick"
    if mode not in MODES:
        raise SystemExit("usage: bench/run.py quick|full")
    print(f"bench ({mode}): every contender against one sandbox", file=sys.stderr)
    report = run(mode)
    text = render(report, mode)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    # The full run is the one the README quotes; a quick run must not overwrite it.
    (results / ("latest.md" if mode == "full" else "latest-quick.md")).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
