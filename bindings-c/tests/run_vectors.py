#!/usr/bin/env python3
"""Replays every conformance vector (tests/vectors/*.json) through the C library.

Every vector of every operation goes through yx_client_call (its `args` in the C spelling:
durations suffixed _ms, in milliseconds); execute's vectors also through yx_request and
yx_client_execute. For each: reset the sandbox, queue its faults, have the compiled C program
tests/c/vector_runner.c make the call with the vector's client settings and input as arguments,
then compare the outcome it prints and EVERY request the sandbox recorded with the vector's
expectations (core/tests/vectors.rs has the same semantics).
One runner process replays every vector (its --batch mode), so that a pass under valgrind pays
valgrind's start-up once; the process's exit status (valgrind's verdict) counts as a check.

Vectors tagged "nul" are skipped: their inputs hold U+0000, which a C string cannot carry.
Standard library only. Exits non-zero when a vector fails.

    run_vectors.py --runner PATH --sandbox URL [--wrapper CMD] [--label NAME]
"""

import argparse
import glob
import json
import math
import os
import shlex
import ssl
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VECTORS = os.path.join(ROOT, "tests", "vectors")
SANDBOX_TOKEN = "pt-sandbox-token"
DEFAULT_TIMEOUT_S = 10.0
EXECUTE = "ExecuteChangeRequestReleaseStage"
CANCEL = "CancelExecutionReleaseStage"
CATALOG = os.path.join(ROOT, "core", "catalog.json")
with open(CATALOG, encoding="utf-8") as _file:
    DURATIONS = set(json.load(_file)["duration_arguments"])


#: The CA of an HTTPS sandbox (--ca-bundle), trusted by the control calls and the runner.
CA_BUNDLE = None


def control(sandbox, method, path, body=None):
    """Calls the sandbox's control API and returns the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        sandbox + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    context = ssl.create_default_context(cafile=CA_BUNDLE) if CA_BUNDLE else None
    with urllib.request.urlopen(request, timeout=30, context=context) as answer:
        text = answer.read().decode()
    return json.loads(text) if text else None


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def c_args(args):
    """Canonical arguments in the C spelling (bridge::ArgStyle::C)."""
    return {
        (f"{k}_ms" if k in DURATIONS else k): (v * 1000 if k in DURATIONS else v)
        for k, v in args.items()
    }


def client_arguments(vector, sandbox):
    client = vector.get("client", {})
    base_url = client.get("base_url", sandbox + client.get("base_path", ""))
    timeout_ms = round(client.get("timeout", DEFAULT_TIMEOUT_S) * 1000)
    args = ["--base-url", base_url, "--token", client.get("token", SANDBOX_TOKEN)]
    args += ["--timeout-ms", str(timeout_ms)]
    if CA_BUNDLE:
        args += ["--ca-bundle", CA_BUNDLE]
    if "edition" in client:
        args += ["--edition", client["edition"]]
    if "organization_id" in client:
        args += ["--organization", client["organization_id"]]
    if "max_retries" in client:
        args += ["--max-retries", str(client["max_retries"])]
    return args


def call_arguments(vector, sandbox, operation, args):
    """vector_runner arguments for yx_client_call."""
    return client_arguments(vector, sandbox) + ["--call", operation, "--args", compact(c_args(args))]


def arguments(vector, sandbox):
    """vector_runner arguments for yx_request + yx_client_execute (execute's vectors)."""
    inputs = vector.get("input", {})
    args = client_arguments(vector, sandbox)
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


def contains(expected, got):
    """core/tests/vectors.rs's `contains`: every expected key with a contained value, arrays
    element by element."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(k in got and contains(v, got[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return (isinstance(got, list) and len(expected) <= len(got)
                and all(contains(w, h) for w, h in zip(expected, got)))
    return expected == got


def execute_fields(result):
    """What vector_runner prints for a yx_response, from yx_client_call's execute result."""
    run_id = result.get("pipeline_run_id")
    return {
        "outcome": "ok",
        "run_id": run_id if run_id is not None else result.get("object"),
        "object": result.get("object"),
        "pipeline_run_id": result.get("pipeline_run_id"),
        "request_id": result.get("request_id"),
    }


def check_outcome(expect, got, problems, operation):
    operation_vector = operation != EXECUTE
    if "result" in expect:
        if got.get("outcome") != "ok":
            problems.append(f"expected success, got {got}")
            return
        if operation_vector:
            result = got["result"]
            if operation == CANCEL and isinstance(result, dict) and "success" not in result:
                # The vectors record call_json's ActionOutcome ({"success", "raw"}); the bridge
                # answers cancel with a CancelOutcome ({"canceled", "already_finished",
                # "run_status", "raw"}), whose raw is the same answer: read success from it.
                raw = result.get("raw")
                result = dict(result, success=raw.get("success") if isinstance(raw, dict) else None)
            if not contains(expect["result"], result):
                problems.append(f"expected {compact(expect['result'])} within {compact(result)}")
            return
        if "result" in got:
            got = execute_fields(got["result"])
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


def check_request(want, recorded, problems, operation_vector):
    """Every recorded request is the expected one: a retry resends exactly the same request."""
    if not recorded:
        problems.append("no request recorded")
    for index, first in enumerate(recorded):
        before = len(problems)
        check_one_request(want, first, problems, operation_vector)
        for i in range(before, len(problems)):
            problems[i] = f"request {index + 1}: {problems[i]}"


def check_one_request(want, first, problems, operation_vector):
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
    if operation_vector and want.get("body") is None:
        if first.get("body") or "content-type" in headers:
            problems.append(f"expected no body and no content-type, got {first.get('body')!r}")
    elif operation_vector:
        if first.get("json") != want["body"] or headers.get("content-type") != "application/json":
            problems.append(f"body {compact(first.get('json'))} ({headers.get('content-type')}) != {compact(want['body'])}")
    elif "body" in want and first.get("json") != want["body"]:
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


def replay(vector, options, runner, through_call):
    """Runs one vector; returns a list of problems (empty: passed)."""
    sandbox = options.sandbox
    operation = vector.get("operation", EXECUTE)
    operation_vector = operation != EXECUTE
    control(sandbox, "POST", "/_sandbox/reset")
    if "faults" in vector:
        control(sandbox, "POST", "/_sandbox/faults", vector["faults"])
    if through_call:
        args = vector["args"] if operation_vector else vector.get("input", {})
        line = runner.call(call_arguments(vector, sandbox, operation, args))
    else:
        line = runner.call(arguments(vector, sandbox))
    if line is None:
        return ["the runner exited"]
    problems = []
    if SANDBOX_TOKEN in line:
        problems.append("the token appears in the output")
    got = json.loads(line)
    check_outcome(vector["expect"], got, problems, operation)
    log = control(sandbox, "GET", "/_sandbox/requests")
    if log["count"] != vector["expect"]["requests"]:
        problems.append(f"{log['count']} requests reached the sandbox, expected {vector['expect']['requests']}")
    if "request" in vector["expect"] and vector["expect"]["requests"] != 0:
        check_request(vector["expect"]["request"], log["requests"], problems, operation_vector)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runner", required=True, help="the compiled vector_runner")
    parser.add_argument("--sandbox", required=True, help="the sandbox's base URL")
    parser.add_argument("--wrapper", default="", help="a command to run the runner under (valgrind …)")
    parser.add_argument("--label", default="vectors")
    parser.add_argument("--ca-bundle", default=None, help="the CA of an HTTPS sandbox, to trust")
    options = parser.parse_args()
    global CA_BUNDLE
    CA_BUNDLE = options.ca_bundle

    files = sorted(glob.glob(os.path.join(VECTORS, "*.json")))
    passed = failed = skipped = 0
    operations = set()
    runner = Runner(options)
    for path in files:
        with open(path, encoding="utf-8") as file:
            vector = json.load(file)
        operation = vector.get("operation", EXECUTE)
        operations.add(operation)
        name = vector.get("name", os.path.basename(path))
        if "nul" in vector.get("tags", []):
            skipped += 1
            print(f"skip {name}: its input holds U+0000, which a C string cannot carry")
            continue
        ways = [True] if operation != EXECUTE else [True, False]
        for through_call in ways:
            label = f"{name} [{'yx_client_call' if through_call else 'yx_client_execute'}]"
            problems = replay(vector, options, runner, through_call)
            if problems:
                failed += 1
                print(f"FAIL {label}")
                for problem in problems:
                    print(f"    {problem}")
            else:
                passed += 1
                print(f"ok   {label}")
            sys.stdout.flush()
    with open(CATALOG, encoding="utf-8") as file:
        catalog = {op["name"] for op in json.load(file)["operations"]}
    if operations != catalog:
        failed += 1
        print(f"FAIL every operation has vectors: {sorted(operations ^ catalog)}")
    else:
        passed += 1
        print(f"ok   every catalog operation has vectors ({len(catalog)})")
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
