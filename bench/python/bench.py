"""Python contenders of `make bench`: our Client and AsyncClient against requests, httpx and
aiohttp, all sending the same execute request to the same sandbox and parsing the answer.

    python bench.py CONTENDER BASE_URL TOKEN CALLS CONCURRENCY [rss]

prints one JSON line (with ``rss``, no latencies are kept and garbage is collected before each
RSS reading, so only memory the client keeps is counted): contender, calls, concurrency,
seconds, cpu_s (user + system time of the whole process, every thread, over the measured calls
only), p50_ms, p99_ms, rss_kb_half, rss_kb_end. Run by bench/run.py, never timed inside a test.

A contender named ``…-read`` sends GetReleaseStagePipelineRun (run 1 of the same stage) instead
of the execute call: ours through the generated method over the core's generic bridge, the
peers as a bare GET.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any, Awaitable, Callable, Dict, List

ORG = "sandbox-org"
APP, WORKFLOW, STAGE = "my-web-service", "wf-main", "stage-deploy"
PATH = f"/oapi/v1/appstack/organizations/{ORG}/apps/{APP}/releaseWorkflows/{WORKFLOW}/releaseStages/{STAGE}:execute"
READ_PATH = f"/oapi/v1/appstack/organizations/{ORG}/apps/{APP}/releaseWorkflows/{WORKFLOW}/releaseStages/{STAGE}/executions/1:getPipelineRun"
BODY = {"params": {"FLOW_INST_RUNNING_COMMENT": "bench", "IMAGE_TAG": "1.4.2"}}
WARMUP = 200
KEEP_LATENCIES = True


def rss_now() -> int:
    """RSS after collecting garbage when measuring memory, so only what is kept counts."""
    if not KEEP_LATENCIES:
        import gc

        gc.collect()
    return rss_kb()


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(sorted_values: List[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[round((len(sorted_values) - 1) * q)] * 1000.0


def report(
    contender: str,
    latencies: List[float],
    calls: int,
    seconds: float,
    cpu: float,
    concurrency: int,
    half: int,
) -> None:
    latencies.sort()
    print(
        json.dumps(
            {
                "contender": contender,
                "calls": calls,
                "concurrency": concurrency,
                "seconds": seconds,
                "cpu_s": cpu,
                "p50_ms": percentile(latencies, 0.5),
                "p99_ms": percentile(latencies, 0.99),
                "rss_kb_half": half,
                "rss_kb_end": rss_now(),
            }
        )
    )


def run_sync(contender: str, call: Callable[[], int], calls: int) -> None:
    for _ in range(min(WARMUP, calls)):
        call()
    latencies: List[float] = []
    half = 0
    clock = time.perf_counter
    cpu_before = time.process_time()
    started = clock()
    for i in range(calls):
        t = clock()
        call()
        if KEEP_LATENCIES:
            latencies.append(clock() - t)
        if i + 1 == calls // 2:
            half = rss_now()
    seconds = clock() - started
    report(
        contender, latencies, calls, seconds, time.process_time() - cpu_before, 1, half
    )


async def run_async(
    contender: str, call: Callable[[], Awaitable[int]], calls: int, concurrency: int
) -> None:
    for _ in range(min(WARMUP, calls)):
        await call()
    latencies: List[float] = []
    state = {"done": 0, "half": 0}
    clock = time.perf_counter
    per_worker = calls // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            t = clock()
            await call()
            if KEEP_LATENCIES:
                latencies.append(clock() - t)
            state["done"] += 1
            if state["done"] == calls // 2:
                state["half"] = rss_now()

    cpu_before = time.process_time()
    started = clock()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = clock() - started
    report(
        contender,
        latencies,
        per_worker * concurrency,
        seconds,
        time.process_time() - cpu_before,
        concurrency,
        state["half"],
    )


def main() -> None:
    global KEEP_LATENCIES
    contender, base_url, token, calls_text, concurrency_text = sys.argv[1:6]
    KEEP_LATENCIES = sys.argv[6:7] != ["rss"]
    calls, concurrency = int(calls_text), int(concurrency_text)
    url = base_url.rstrip("/") + PATH
    read_url = base_url.rstrip("/") + READ_PATH
    headers: Dict[str, str] = {"x-yunxiao-token": token, "Accept": "application/json"}
    run_args: Dict[str, Any] = {
        "app_name": APP,
        "release_workflow_sn": WORKFLOW,
        "release_stage_sn": STAGE,
        "execution_number": 1,
    }
    # The peers that also have a read row: the same client, a GET of the run instead.
    peer = contender.removesuffix("-read")
    reads = peer != contender
    method, target = ("GET", read_url) if reads else ("POST", url)
    body: Any = None if reads else BODY

    def answer_of(answer: Any) -> int:
        """What the call's answer is read for: the stage count, or the run id."""
        return (
            len(answer["pipelineRun"]["stages"])
            if reads
            else int(answer["pipelineRunId"])
        )

    if contender == "yx-client":
        import yunxiao_appstack as yx

        client = yx.Client(token=token, base_url=base_url, organization_id=ORG)

        def yx_call() -> int:
            run = client.execute_release_stage(
                app_name=APP,
                release_workflow_sn=WORKFLOW,
                release_stage_sn=STAGE,
                comment="bench",
                variables={"IMAGE_TAG": "1.4.2"},
            )
            return int(run.run_id)

        run_sync(contender, yx_call, calls)
    elif contender == "yx-client-read":
        import yunxiao_appstack as yx

        client = yx.Client(token=token, base_url=base_url, organization_id=ORG)

        def yx_read() -> int:
            return len(client.get_release_stage_pipeline_run(**run_args).stages)

        run_sync(contender, yx_read, calls)
    elif contender == "yx-async-read":
        import yunxiao_appstack as yx

        async def main_async_read() -> None:
            async with yx.AsyncClient(
                token=token, base_url=base_url, organization_id=ORG
            ) as client:

                async def call() -> int:
                    return len(
                        (await client.get_release_stage_pipeline_run(**run_args)).stages
                    )

                await run_async(contender, call, calls, concurrency)

        asyncio.run(main_async_read())
    elif contender == "yx-async":
        import yunxiao_appstack as yx

        async def main_async() -> None:
            async with yx.AsyncClient(
                token=token, base_url=base_url, organization_id=ORG
            ) as client:

                async def call() -> int:
                    run = await client.execute_release_stage(
                        app_name=APP,
                        release_workflow_sn=WORKFLOW,
                        release_stage_sn=STAGE,
                        comment="bench",
                        variables={"IMAGE_TAG": "1.4.2"},
                    )
                    return int(run.run_id)

                await run_async(contender, call, calls, concurrency)

        asyncio.run(main_async())
    elif contender == "requests":
        import requests

        session = requests.Session()

        def requests_call() -> int:
            response = session.post(url, json=BODY, headers=headers, timeout=60)
            response.raise_for_status()
            return int(response.json()["pipelineRunId"])

        run_sync(contender, requests_call, calls)
    elif peer == "httpx":
        import httpx

        http = httpx.Client(timeout=60)

        def httpx_call() -> int:
            response = http.request(method, target, json=body, headers=headers)
            response.raise_for_status()
            return answer_of(response.json())

        run_sync(contender, httpx_call, calls)
    elif contender == "httpx-async":
        import httpx

        async def main_httpx() -> None:
            limits = httpx.Limits(
                max_connections=concurrency, max_keepalive_connections=concurrency
            )
            async with httpx.AsyncClient(timeout=60, limits=limits) as http:

                async def call() -> int:
                    response = await http.post(url, json=BODY, headers=headers)
                    response.raise_for_status()
                    return int(response.json()["pipelineRunId"])

                await run_async(contender, call, calls, concurrency)

        asyncio.run(main_httpx())
    elif peer == "aiohttp":
        import aiohttp

        async def main_aiohttp() -> None:
            connector = aiohttp.TCPConnector(limit=concurrency)
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(
                connector=connector, timeout=timeout
            ) as session:

                async def call() -> int:
                    async with session.request(
                        method, target, json=body, headers=headers
                    ) as response:
                        response.raise_for_status()
                        return answer_of(await response.json())

                await run_async(contender, call, calls, concurrency)

        asyncio.run(main_aiohttp())
    else:
        sys.exit(f"unknown contender {contender}")


if __name__ == "__main__":
    main()
