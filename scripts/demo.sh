#!/usr/bin/env bash
# `make demo`: start the sandbox, execute a release stage through the CLI against it, print the
# result, stop the sandbox. Needs nothing but a Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"

cargo build --quiet -p yunxiao-sandbox -p yunxiao-appstack-cli
cli="$target/debug/yunxiao-appstack"
sandbox_out="$(mktemp)"
"$target/debug/yunxiao-sandbox" --port 0 >"$sandbox_out" 2>/dev/null &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; rm -f "$sandbox_out"' EXIT

for _ in $(seq 100); do
  base_url="$(head -n1 "$sandbox_out" 2>/dev/null || true)"
  [[ -n "$base_url" ]] && break
  sleep 0.05
done
[[ -n "${base_url:-}" ]] || { echo "the sandbox did not start" >&2; exit 1; }

# The sandbox's built-in fixture and its (public, fake) token.
export YUNXIAO_ACCESS_TOKEN=pt-sandbox-token
export YUNXIAO_API_BASE_URL="$base_url"
export YUNXIAO_ORGANIZATION_ID=sandbox-org
run=(release-stage execute --app my-web-service --workflow wf-main --stage stage-deploy
     --comment "make demo" --var IMAGE_TAG=1.4.2)

echo "== sandbox listening on $base_url"
echo
echo "== the request, without sending it (--dry-run)"
"$cli" "${run[@]}" --dry-run
echo
echo
echo "== executing the stage: the CLI prints the run id"
"$cli" "${run[@]}"
echo
echo "== executing it again, whole result as JSON"
"$cli" "${run[@]}" --output json
echo
echo "== a 500 from the server: not retried, and the CLI says the stage may have started"
queue_fault() { # through the sandbox's control API (python3's stdlib, so no curl needed)
  python3 - "$base_url" "$1" <<'PY' 2>/dev/null || true
import sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/_sandbox/faults", data=sys.argv[2].encode(), method="POST",
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=5).read()
PY
}
queue_fault '{"status": 500}'
set +e
"$cli" "${run[@]}" 2>&1
code=$?
set -e
echo "(exit code $code)"
