-- The ceiling: wrk posting the same execute request every contender sends.
wrk.method = "POST"
wrk.body = '{"params":{"FLOW_INST_RUNNING_COMMENT":"bench","IMAGE_TAG":"1.4.2"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["x-yunxiao-token"] = "pt-sandbox-token"

-- One JSON line on stdout, like every other contender, for bench/run.py.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"contender":"wrk","calls":%d,"seconds":%f,"p50_ms":%f,"p99_ms":%f,"errors":%d}\n',
    summary.requests, seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
