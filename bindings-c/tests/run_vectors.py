#!/usr/bin/env python3
"""Replays every conformance vector (tests/vectors/*.json) through the C library.

For each vector: reset the sandbox, queue its faults, have the compiled C program
tests/c/vector_runner.c make the call with the vector's client settings and input as arguments,
then compare the outcome it prints and the sandbox's request log with the vector's expectations.
One runner process replays every vector (its --batch mode), so that a pass under valgrind pays
valgrind's start-up once; the process's exit status (valgrind's verdict) counts as a check.

Vectors tagged "nul" are skipped: their inputs hold U+0000, which a C string cannot carry.
Standard library only. Exits non-zero when a vector fails.

    run_vectors.py --runner PATH --sandbox URL [--wrapper CMD] [--both-apis] [--label NAME]
"""

import argparse
import glob
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VECTORS = os.path.join(ROOT, "tests", "vectors")
SANDBOX_TOKEN = "pt-sandbox-token"
DEFAULT_TIMEOUT_S = 10.0
TYPED_INPUTS = ("comment", "variables", "branches", "release_branch_repo_info")


def control(sandbox, method, path, body=None):
    """Calls the sandbox's control API and returns the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        sandbox + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read().decode()
    return json.loads(text) if text else None


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def arguments(vector, sandbox, api):
    """The vector_runner arguments for a vector."""
    client = vector.get("client", {})
    inputs = vector.get("input", {})
    base_url = client.get("base_url", sandbox + client.get("base_path", ""))
    timeout_ms = round(client.get("timeout", DEFAULT_TIMEOUT_S) * 1000)
    args = ["--base-url", base_url, "--token", client.get("token", SANDBOX_TOKEN)]
    args += ["--timeout-ms", str(timeout_ms)]
    if "edition" in client:
        args += ["--edition", client["edition"]]
    if "organization_id" in client:
        args += ["--organization", client["organization_id"]]
    if "max_retries" in client:
        args += ["--max-retries", str(client["max_retries"])]
    if api:
        args += ["--api", api]
    if "organization_id" in inputs:
        args += ["--input-organization", inputs["organization_id"]]
    args += ["--app", inputs.get("app_name", "")]
    args += ["--workflow", inputs.get("release_workflow_sn", "")]
    args += ["--stage", inputs.get("release_stage_sn", "")]
    if "comment" in inputs:
        args += ["--comment", inputs["comment"]]
    for name, value in inputs.get("variables", {}).items():
        args += ["--variable", name, value]
    for source, branch in inputs.get("branches", {}).items():
        args += ["--branch", source, branch]
    if "release_branch_repo_info" in inputs:
        args += ["--repo-info", compact(inputs["release_branch_repo_info"])]
    if "params" in inputs:
        args += ["--params", compact(inputs["params"])]
    return args


def check_outcome(expect, got, problems):
    if "result" in expect:
        if got.get("outcome") != "ok":
            problems.append(f"expected success, got {got}")
            return
        for key in ("run_id", "object", "pipeline_run_id"):
            if key in expect["result"] and got.get(key) != expect["result"][key]:
                problems.append(f"{key} {got.get(key)} != {expect['result'][key]}")
        if expect["result"].get("request_id") is True and not got.get("request_id"):
            problems.append("no request id")
        return
    want = expect["error"]
    if got.get("outcome") != "error":
        problems.append(f"expected a {want['kind']} error, got {got}")
        return
    if got.get("result") != "YX_RESULT_ERROR":
        problems.append(f"result {got.get('result')}, expected YX_RESULT_ERROR")
    if got.get("kind") != want["kind"]:
        problems.append(f"kind {got.get('kind')} != {want['kind']} ({got.get('description')})")
    if got.get("may_have_executed") != want["may_have_executed"]:
        problems.append(f"may_have_executed {got.get('may_have_executed')} != {want['may_have_executed']}")
    if "status" in want and got.get("status") != want["status"]:
        problems.append(f"status {got.get('status')} != {want['status']}")
    if "error_code" in want and got.get("error_code") != want["error_code"]:
        problems.append(f"error_code {got.get('error_code')} != {want['error_code']}")
    if "retry_after" in want:
        secs = want["retry_after"]
        expected_ms = None if secs is None else math.ceil(secs * 1000)
        if got.get("retry_after_ms") != expected_ms:
            problems.append(f"retry_after_ms {got.get('retry_after_ms')} != {expected_ms}")


def check_request(want, recorded, problems):
    if not recorded:
        problems.append("no request recorded")
        return
    first = recorded[0]
    if first["method"] != want["method"]:
        problems.append(f"method {first['method']} != {want['method']}")
    if first["path"] != want["path"]:
        problems.append(f"path {first['path']} != {want['path']}")
    headers = {k.lower(): v for k, v in first.get("headers", {}).items()}
    for name, value in want.get("headers", {}).items():
        if headers.get(name.lower()) != value:
            problems.append(f"header {name}: {headers.get(name.lower())!r} != {value!r}")
    agent = headers.get("user-agent", "")
    if "user_agent_prefix" in want and not agent.startswith(want["user_agent_prefix"]):
        problems.append(f"user-agent {agent!r}")
    if not agent.endswith("(c)"):
        problems.append(f"user-agent {agent!r} does not name the C binding")
    if first.get("token") != want["token"]:
        problems.append(f"token {first.get('token')} != {want['token']}")
    if "body" in want and first.get("json") != want["body"]:
        problems.append(f"body {compact(first.get('json'))} != {compact(want['body'])}")


class Runner:
    """One vector_runner --batch process, fed one call at a time."""

    def __init__(self, options):
        command = shlex.split(options.wrapper) + [options.runner, "--batch"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("YUNXIAO_")}
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=env
        )

    def call(self, args):
        """Sends one record; returns the outcome line, or None when the process is gone."""
        record = [f"{len(args)}\n".encode()]
        for arg in args:
            data = arg.encode()
            record += [f"{len(data)}\n".encode(), data, b"\n"]
        try:
            self.process.stdin.write(b"".join(record))
            self.process.stdin.flush()
        except BrokenPipeError:
            return None
        line = self.process.stdout.readline()
        return line.decode() if line else None

    def finish(self):
        """Ends the process; returns (exit status, stderr text)."""
        self.process.stdin.close()
        status = self.process.wait(timeout=300)
        self.stderr.seek(0)
        return status, self.stderr.read().decode(errors="replace")


def replay(vector, options, runner, api):
    """Runs one vector; returns a list of problems (empty: passed)."""
    sandbox = options.sandbox
    control(sandbox, "POST", "/_sandbox/reset")
    if "faults" in vector:
        control(sandbox, "POST", "/_sandbox/faults", vector["faults"])
    line = runner.call(arguments(vector, sandbox, api))
    if line is None:
        return ["the runner exited"]
    problems = []
    if SANDBOX_TOKEN in line:
        problems.append("the token appears in the output")
    got = json.loads(line)
    check_outcome(vector["expect"], got, problems)
    log = control(sandbox, "GET", "/_sandbox/requests")
    if log["count"] != vector["expect"]["requests"]:
        problems.append(f"{log['count']} requests reached the sandbox, expected {vector['expect']['requests']}")
    if "request" in vector["expect"]:
        check_request(vector["expect"]["request"], log["requests"], problems)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runner", required=True, help="the compiled vector_runner")
    parser.add_argument("--sandbox", required=True, help="the sandbox's base URL")
    parser.add_argument("--wrapper", default="", help="a command to run the runner under (valgrind …)")
    parser.add_argument("--both-apis", action="store_true",
                        help="also replay id-only vectors through yx_request / yx_client_execute")
    parser.add_argument("--label", default="vectors")
    options = parser.parse_args()

    files = sorted(glob.glob(os.path.join(VECTORS, "*.json")))
    passed = failed = skipped = 0
    runner = Runner(options)
    for path in files:
        with open(path, encoding="utf-8") as file:
            vector = json.load(file)
        # Only execute's vectors: the other operations are replayed by the Rust runner until
        # the C bridge (yx_client_call) lands.
        if vector.get("operation", "ExecuteChangeRequestReleaseStage") != "ExecuteChangeRequestReleaseStage":
            continue
        name = vector.get("name", os.path.basename(path))
        if "nul" in vector.get("tags", []):
            skipped += 1
            print(f"skip {name}: its input holds U+0000, which a C string cannot carry")
            continue
        apis = [None]
        if options.both_apis and not any(key in vector.get("input", {}) for key in TYPED_INPUTS):
            apis.append("request")
        for api in apis:
            label = name if api is None else f"{name} [yx_client_execute]"
            problems = replay(vector, options, runner, api)
            if problems:
                failed += 1
                print(f"FAIL {label}")
                for problem in problems:
                    print(f"    {problem}")
            else:
                passed += 1
                print(f"ok   {label}")
            sys.stdout.flush()
    status, stderr = runner.finish()
    if status != 0 or SANDBOX_TOKEN in stderr:
        failed += 1
        print(f"FAIL the runner process: exit status {status}; stderr:\n{stderr}")
    else:
        passed += 1
        print("ok   the runner process exited cleanly")
    if not files:
        print(f"no vectors found in {VECTORS}")
        failed += 1
    print(f"{options.label}: {passed} passed, {failed} failed, {skipped} skipped")
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
