// Node contenders of `make bench`: the yunxiao-appstack binding against global fetch and
// undici.request, all sending the same execute request to the same sandbox and parsing JSON.
//
//   node [--expose-gc] bench.mjs CONTENDER BASE_URL TOKEN CALLS CONCURRENCY [rss]
//
// prints one JSON line (with `rss`, no latencies are kept and garbage is collected before each
// RSS reading when --expose-gc is given, so only memory the client keeps is counted): contender,
// calls, concurrency, seconds, cpu_s (user + system time of the process, every thread, over the
// measured calls only), p50_ms, p99_ms, rss_kb_half, rss_kb_end. Run by bench/run.py.
//
// `yx-read` / `undici-read` send GetReleaseStagePipelineRun (run 1 of the same stage) instead:
// ours through the generated method over the core's generic bridge, undici as a bare GET.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const [contender, baseUrl, token, callsText, concurrencyText, mode] = process.argv.slice(2);
const keepLatencies = mode !== 'rss';
const calls = Number(callsText);
const concurrency = Number(concurrencyText);
const ORG = 'sandbox-org';
const PATH = `/oapi/v1/appstack/organizations/${ORG}/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy:execute`;
const READ_PATH = `/oapi/v1/appstack/organizations/${ORG}/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy/executions/1:getPipelineRun`;
const BODY = JSON.stringify({ params: { FLOW_INST_RUNNING_COMMENT: 'bench', IMAGE_TAG: '1.4.2' } });
const url = baseUrl.replace(/\/$/, '') + PATH;
const readUrl = baseUrl.replace(/\/$/, '') + READ_PATH;
const headers = { 'x-yunxiao-token': token, 'content-type': 'application/json', accept: 'application/json' };

let call;
if (contender === 'yx') {
  const { Client } = require('../../bindings-node');
  const client = new Client({ token, baseUrl, organizationId: ORG });
  const request = {
    appName: 'my-web-service', releaseWorkflowSn: 'wf-main', releaseStageSn: 'stage-deploy',
    comment: 'bench', variables: { IMAGE_TAG: '1.4.2' },
  };
  call = async () => (await client.executeReleaseStage(request)).runId;
} else if (contender === 'yx-read') {
  const { Client } = require('../../bindings-node');
  const client = new Client({ token, baseUrl, organizationId: ORG });
  const run = { appName: 'my-web-service', releaseWorkflowSn: 'wf-main', releaseStageSn: 'stage-deploy', executionNumber: 1 };
  call = async () => (await client.getReleaseStagePipelineRun(run)).stages.length;
} else if (contender === 'undici-read') {
  const { request, Agent } = await import('undici');
  const dispatcher = new Agent({ connections: concurrency });
  const readHeaders = { 'x-yunxiao-token': token, accept: 'application/json' };
  call = async () => {
    const { statusCode, body } = await request(readUrl, { method: 'GET', headers: readHeaders, dispatcher });
    if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`);
    return (await body.json()).pipelineRun.stages.length;
  };
} else if (contender === 'fetch') {
  call = async () => {
    const response = await fetch(url, { method: 'POST', headers, body: BODY });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.json()).pipelineRunId;
  };
} else if (contender === 'undici') {
  const { request, Agent } = await import('undici');
  const dispatcher = new Agent({ connections: concurrency });
  call = async () => {
    const { statusCode, body } = await request(url, { method: 'POST', headers, body: BODY, dispatcher });
    if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`);
    return (await body.json()).pipelineRunId;
  };
} else {
  console.error(`unknown contender ${contender}`);
  process.exit(2);
}

const rssKb = () => {
  if (!keepLatencies && globalThis.gc) globalThis.gc();
  return Math.round(process.memoryUsage.rss() / 1024);
};
for (let i = 0; i < Math.min(200, calls); i++) await call();
const latencies = [];
let done = 0;
let half = 0;
const perWorker = Math.floor(calls / concurrency);
const cpuBefore = process.cpuUsage();
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, async () => {
  for (let i = 0; i < perWorker; i++) {
    const t = performance.now();
    await call();
    if (keepLatencies) latencies.push(performance.now() - t);
    if (++done === Math.floor(calls / 2)) half = rssKb();
  }
}));
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
latencies.sort((a, b) => a - b);
const pct = (q) => latencies[Math.round((latencies.length - 1) * q)] ?? 0;
console.log(JSON.stringify({
  contender, calls: perWorker * concurrency, concurrency, seconds, cpu_s: cpuSeconds,
  p50_ms: pct(0.5), p99_ms: pct(0.99), rss_kb_half: half, rss_kb_end: rssKb(),
}));
