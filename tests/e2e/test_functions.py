"""Functions wsgate runs itself (issue 13): the Lambda Runtime API, runtime process pools, and the
FUNCTION integration, end to end with real handlers (tests/data/functions/):

- Node ES-module and CommonJS handlers and a Python handler call PostToConnection back through AWS
  SDK v3 / boto3 from inside the function (SDK v3 is installed into tests/data/functions/node by
  scripts/install-deps.sh --all; boto3 comes from the test venv, chosen with --runtime);
- warm reuse, 20 clients closing at once (20 $disconnect invocations, none lost), timeout, crash
  and replacement, throttling over the cap, init errors (missing file, missing export, syntax
  error, a missing @aws-sdk/* or boto3 import), a wrong request id (400), a response over 6 MB;
- the environment a function sees, CloudWatch-style logs, hot reload, an authorizer function;
- shutdown: SIGTERM delivers every $disconnect to the functions first and leaves no process
  behind; SIGKILL of wsgate leaves no orphan either (PR_SET_PDEATHSIG);
- Java (AWS's runtime interface client) and Go (aws-lambda-go) handlers, built by the test setup.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import websocket

from wsgatekit import wsclient
from wsgatekit.server import REPO_ROOT, WsgateServer, run_cli

DATA = REPO_ROOT / "tests" / "data" / "functions"
NODE = DATA / "node"
PYTHON = DATA / "python"
VENV_PYTHON = Path(sys.executable)
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ERROR_FRAME = "Internal server error"


def fn(runtime, handler, code, **extra):
    spec = {"runtime": runtime, "handler": handler, "codeUri": str(code)}
    spec.update(extra)
    return spec


def start(wsgate, routes, functions, *args, **top):
    config = {"routes": routes, "functions": functions}
    config.update(top)
    return wsgate("--runtime", f"python3.12={VENV_PYTHON}", *args, config=config)


def send_recv(ws, message, timeout=15):
    ws.send(json.dumps(message))
    return json.loads(wsclient.recv_text(ws, timeout=timeout))


def error_frame(ws, message, timeout=15):
    ws.send(json.dumps(message))
    frame = json.loads(wsclient.recv_text(ws, timeout=timeout))
    assert frame["message"] == ERROR_FRAME, frame
    return frame


def log_text(server):
    """The server's log (tabs kept as the functions wrote them, as in CloudWatch)."""
    return server.log_text()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def children(pid):
    """PIDs whose parent is `pid` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return out


def is_alive(pid):
    """A process that exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"


def pgid_members(pgid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid and is_alive(int(entry)):
                    out.append(int(entry))
            except OSError:
                pass
    return out


@pytest.fixture
def record(tmp_path):
    path = tmp_path / "record.txt"
    path.write_text("")
    return path


def recorded(path, route):
    return [line.split() for line in path.read_text().splitlines() if line.startswith(route + " ")]


# ---- (1) the three runtimes calling back through the SDKs -----------------------------------

def test_node_esm_cjs_and_python_post_to_connection_through_the_sdks(wsgate):
    server = start(wsgate, {
        "$connect": {"function": "Esm"}, "$disconnect": {"function": "Esm"}, "$default": {"function": "Esm"},
        "cjs": {"function": "Cjs"}, "py": {"function": "Py"},
    }, {
        "Esm": fn("nodejs20.x", "esm/app.handler", NODE),
        "Cjs": fn("nodejs20.x", "app.handler", NODE / "cjs"),
        "Py": fn("python3.12", "app.handler", PYTHON),
    })
    ws = wsclient.connect(server.ws_url(), timeout=15)
    esm = send_recv(ws, {"action": "echo", "message": "from esm"})
    cjs = send_recv(ws, {"action": "cjs", "op": "echo", "message": "from cjs"})
    py = send_recv(ws, {"action": "py", "op": "echo", "message": "from python"})
    assert (esm["runtime"], esm["echo"], esm["functionName"]) == ("node-esm", "from esm", "Esm")
    assert (cjs["runtime"], cjs["echo"], cjs["functionName"]) == ("node-cjs", "from cjs", "Cjs")
    assert (py["runtime"], py["echo"], py["functionName"]) == ("python", "from python", "Py")
    for answer in (esm, cjs, py):
        assert UUID_RE.match(answer["requestId"]), answer
        assert 0 < answer["remaining"] <= 3000, answer
    assert cjs["waits"] is True  # context.callbackWaitsForEmptyEventLoop defaults to true
    # warm: the next event goes to the same process
    again = send_recv(ws, {"action": "echo", "message": "again"})
    assert again["pid"] == esm["pid"]
    assert again["requestId"] != esm["requestId"]
    ws.close()
    # CloudWatch-style lines, prefixed with the function name (a REPORT follows the function's
    # answer, which may come after its PostToConnection reached the client)
    report = re.compile(r"\[Py\] REPORT RequestId: [0-9a-f-]{36}\tDuration: [0-9.]+ ms\tBilled Duration: \d+ ms\t"
                        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [0-9.]+ ms")
    wait_for(lambda: report.search(log_text(server)), 10, "the Python function's REPORT line")
    log = log_text(server)
    assert re.search(r"\[Esm\] START RequestId: [0-9a-f-]{36} Version: \$LATEST", log)
    assert re.search(r"\[Cjs\] \S+\t[0-9a-f-]{36}\tINFO\troute cjs connection ", log)  # the function's console.log
    assert re.search(r"\[Py\] \[WARNING\]\t\S+\t[0-9a-f-]{36}\techoing from python", log)  # logging, as on Lambda
    assert re.search(r"\[Esm\] cold start: runtime ready in \d+ ms", log)


def test_es_module_js_file_nested_handler_and_context_succeed(wsgate):
    server = start(wsgate, {"$default": {"function": "EsmJs", "twoWay": True}},
                   {"EsmJs": fn("nodejs20.x", "app.handlers.reply", NODE / "esmjs")})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    assert send_recv(ws, {"action": "x", "message": "type module"}) == {"esmjs": "type module", "fn": "EsmJs"}
    ws.close()


def test_sam_template_alone_runs_the_whole_api(wsgate, tmp_path, record):
    env_vars = tmp_path / "env.json"
    env_vars.write_text(json.dumps({"RecordFunction": {"RECORD_FILE": str(record)}}))
    server = wsgate("-c", str(DATA / "sam" / "template.yaml"), "--runtime", f"python3.12={VENV_PYTHON}",
                    "--parameter-overrides", "Greeting=howdy", "--env-vars", str(env_vars))
    ws = wsclient.connect(server.ws_url(stage="prod"), timeout=15)
    env = send_recv(ws, {"action": "sendmessage", "op": "env"})["env"]
    assert (env["AWS_LAMBDA_FUNCTION_NAME"], env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]) == ("SendFunction", "512")
    assert (env["TABLE_NAME"], env["GREETING"]) == ("chat-connections", "howdy")
    py = send_recv(ws, {"action": "anything", "op": "echo", "message": "to python"})
    assert (py["runtime"], py["echo"], py["functionName"]) == ("python", "to python", "PyFunction")
    connection_id = recorded(record, "$connect")[0][1]
    ws.close()
    wait_for(lambda: recorded(record, "$disconnect"), 10, "$disconnect")
    assert recorded(record, "$disconnect")[0][1] == connection_id


def test_two_way_route_returns_the_function_result(wsgate):
    server = start(wsgate, {"$default": {"function": "Esm", "twoWay": True}},
                   {"Esm": fn("nodejs20.x", "esm/app.handler", NODE)})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    assert send_recv(ws, {"action": "reply", "message": "two-way"})["reply"] == "two-way"
    ws.close()


# ---- (2) concurrency, timeout, crash, errors, shutdown --------------------------------------

def test_twenty_clients_closing_at_once_give_twenty_disconnect_invocations(wsgate, record):
    server = start(wsgate, {"$disconnect": {"function": "Rec"}, "$default": {"function": "Rec"}},
                   {"Rec": fn("nodejs20.x", "record.handler", NODE / "cjs", environment={"RECORD_FILE": str(record)})})
    clients = [wsclient.connect(server.ws_url(), timeout=10) for _ in range(20)]
    ids = set(server.connections())
    assert len(ids) == 20
    threads = [threading.Thread(target=ws.close) for ws in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_for(lambda: len(recorded(record, "$disconnect")) >= 20, 30, "20 $disconnect invocations")
    time.sleep(0.3)
    lines = recorded(record, "$disconnect")
    assert len(lines) == 20
    assert {line[1] for line in lines} == ids
    pids = {line[2] for line in lines}
    assert 1 <= len(pids) <= 10  # at most --max-concurrency (default 10) processes
    log = log_text(server)
    assert "throttled" not in log


def test_concurrent_events_start_more_processes_up_to_the_cap_and_then_throttle(wsgate, record):
    server = start(wsgate, {"$default": {"function": "Rec", "twoWay": True}},
                   {"Rec": fn("nodejs20.x", "record.handler", NODE / "cjs", timeout=20, reservedConcurrency=1,
                              environment={"RECORD_FILE": str(record)})})
    a = wsclient.connect(server.ws_url(), timeout=15)
    b = wsclient.connect(server.ws_url(), timeout=15)
    a.send(json.dumps({"sleep": 7000}))
    time.sleep(0.5)
    t0 = time.monotonic()
    frame = error_frame(b, {"sleep": 1})  # the only process is busy for 7 s: b waits 5 s, then fails
    assert 4.0 <= time.monotonic() - t0 < 7.0
    assert json.loads(wsclient.recv_text(a, timeout=10))["recorded"] == "$default"
    assert "throttled" in log_text(server)
    assert frame["message"] == ERROR_FRAME
    a.close()
    b.close()


def test_timeout_kills_the_process_and_the_next_event_gets_a_new_one(wsgate):
    server = start(wsgate, {"$default": {"function": "Slow", "twoWay": True}},
                   {"Slow": fn("nodejs20.x", "esm/app.handler", NODE, timeout=1)})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    first = send_recv(ws, {"action": "sleep", "ms": 10})
    t0 = time.monotonic()
    error_frame(ws, {"action": "sleep", "ms": 5000})
    assert 0.9 <= time.monotonic() - t0 < 4.0
    log = log_text(server)
    assert "Task timed out after 1.00 seconds" in log
    wait_for(lambda: not is_alive(first["pid"]), 5, "the timed-out process to be killed")
    second = send_recv(ws, {"action": "sleep", "ms": 10})
    assert second["pid"] != first["pid"]
    ws.close()


def test_integration_timeout_answers_504_style_while_the_function_runs_on(wsgate):
    server = start(wsgate, {"$default": {"function": "Esm", "twoWay": True, "timeout": 500}},
                   {"Esm": fn("nodejs20.x", "esm/app.handler", NODE, timeout=10)})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    send_recv(ws, {"action": "sleep", "ms": 1})  # warm
    t0 = time.monotonic()
    ws.send(json.dumps({"action": "sleep", "ms": 2000}))
    frame = json.loads(wsclient.recv_text(ws, timeout=10))
    assert frame["message"] == "Endpoint request timed out", frame
    assert time.monotonic() - t0 < 1.8
    # the function finished on its own: no timeout in its log, and no late frame reaches the client
    wait_for(lambda: log_text(server).count("[Esm] END RequestId") >= 2, 10, "the slow invocation to end")
    assert "Task timed out" not in log_text(server)
    assert send_recv(ws, {"action": "reply", "message": "next"})["reply"] == "next"
    ws.close()


def test_crash_fails_the_event_with_exit_error_and_is_replaced(wsgate):
    server = start(wsgate, {"$default": {"function": "Esm", "twoWay": True}},
                   {"Esm": fn("nodejs20.x", "esm/app.handler", NODE)})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    before = send_recv(ws, {"action": "sleep", "ms": 1})
    error_frame(ws, {"action": "crash"})
    log = log_text(server)
    assert "Runtime exited with error: exit status 3" in log
    assert "about to crash" in log
    after = send_recv(ws, {"action": "sleep", "ms": 1})
    assert after["pid"] != before["pid"]
    assert not is_alive(before["pid"])
    ws.close()


def test_function_error_is_the_internal_server_error_frame(wsgate):
    server = start(wsgate, {"$default": {"function": "Esm", "twoWay": True}, "py": {"function": "Py", "twoWay": True}},
                   {"Esm": fn("nodejs20.x", "esm/app.handler", NODE), "Py": fn("python3.12", "app.handler", PYTHON)})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    error_frame(ws, {"action": "throw", "message": "x"})
    error_frame(ws, {"action": "py", "op": "throw"})
    log = log_text(server)
    assert re.search(r'\[Esm\] function error \(Error\): \{"errorType":"Error","errorMessage":"boom: x","trace":\[', log)
    assert re.search(r'\[Py\] function error \(ValueError\): \{"errorMessage": "python boom", "errorType": "ValueError"', log)
    # still serving
    assert send_recv(ws, {"action": "reply", "message": "ok"})["reply"] == "ok"
    ws.close()


@pytest.mark.parametrize("runtime,handler,code,error_type,text", [
    ("nodejs20.x", "missing.handler", NODE / "cjs", "Runtime.ImportModuleError", "Cannot find module 'missing'"),
    ("nodejs20.x", "noexport.handler", NODE / "bad", "Runtime.HandlerNotFound", "noexport.handler is undefined or not exported"),
    ("nodejs20.x", "syntax.handler", NODE / "bad", "Runtime.UserCodeSyntaxError", "SyntaxError"),
    ("nodejs20.x", "nosdk.handler", NODE / "bad", "Runtime.ImportModuleError",
     "Cannot find package '@aws-sdk/client-dynamodb'"),
    ("python3.12", "nohandler.handler", PYTHON, "Runtime.HandlerNotFound", "Handler 'handler' missing on module 'nohandler'"),
    ("python3.12", "missing.handler", PYTHON, "Runtime.ImportModuleError", "Unable to import module 'missing'"),
    ("python3.12", "syntaxerr.handler", PYTHON, "Runtime.UserCodeSyntaxError", "Syntax error in module 'syntaxerr'"),
])
def test_init_errors_fail_connect_with_502_and_name_the_problem(wsgate, runtime, handler, code, error_type, text):
    server = start(wsgate, {"$connect": {"function": "Bad"}, "$default": {"function": "Bad"}},
                   {"Bad": fn(runtime, handler, code)})
    assert wsclient.handshake_status(server.ws_url(), timeout=15) == 502
    log = log_text(server)
    assert f"[Bad] init error ({error_type})" in log
    assert text in log
    # the next attempt gets the same answer, and wsgate is still fine
    assert wsclient.handshake_status(server.ws_url(), timeout=15) == 502
    assert server.get_json("/health")[0] == 200


def test_missing_sdk_and_boto3_imports_say_how_to_provide_them(wsgate, tmp_path):
    # an interpreter that certainly has no boto3: a fresh virtualenv without site packages
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True, timeout=60)
    server = wsgate("--runtime", f"python3.12={tmp_path / 'bare' / 'bin' / 'python'}", config={
        "routes": {"$default": {"function": "NoSdk"}, "py": {"function": "NoBoto"}},
        "functions": {"NoSdk": fn("nodejs20.x", "nosdk.handler", NODE / "bad"),
                      "NoBoto": fn("python3.12", "needsboto.handler", PYTHON)}})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    error_frame(ws, {"action": "x"})
    error_frame(ws, {"action": "py"})
    ws.close()
    log = log_text(server)
    assert "Lambda's Node.js runtime includes the AWS SDK for JavaScript v3" in log
    assert "npm install @aws-sdk/client-dynamodb" in log
    assert "No module named 'boto3'" in log and "Lambda's Python runtime includes boto3" in log


def test_wrong_request_id_gets_400_and_oversized_response_gets_lambdas_error(wsgate):
    server = start(wsgate, {"$default": {"function": "Esm", "twoWay": True}},
                   {"Esm": fn("nodejs20.x", "esm/app.handler", NODE)})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    assert send_recv(ws, {"action": "wrongid"})["wrongIdStatus"] == 400
    error_frame(ws, {"action": "big"})
    log = log_text(server)
    assert "not its current invocation: 400" in log
    assert "Response payload size exceeded maximum allowed payload size (6291556 bytes)." in log
    assert send_recv(ws, {"action": "reply", "message": "still"})["reply"] == "still"
    ws.close()


def test_runtime_that_never_asks_for_an_event_is_stopped(wsgate):
    # silent.js busy-loops for 60 s at load time: the 10 s initialization limit stops it
    server = start(wsgate, {"$default": {"function": "Silent"}},
                   {"Silent": fn("nodejs20.x", "silent.handler", NODE / "bad")})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    t0 = time.monotonic()
    error_frame(ws, {"action": "x"}, timeout=20)
    assert 9.0 <= time.monotonic() - t0 < 15.0
    assert "did not ask for an event" in log_text(server)
    ws.close()


def test_chatty_function_output_is_bounded_per_invocation(wsgate):
    server = start(wsgate, {"$default": {"function": "Esm", "twoWay": True}},
                   {"Esm": fn("nodejs20.x", "esm/app.handler", NODE, timeout=20)})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    ws.send(json.dumps({"action": "chatty", "lines": 3000}))  # about 700 KB of output
    assert wsclient.recv_text(ws, timeout=20) == "done"
    wait_for(lambda: "output over 256 KB in this invocation" in log_text(server), 5, "the output cap")
    time.sleep(0.5)
    log = log_text(server)
    assert "line 500 " in log
    assert "line 2999 " not in log
    ws.close()


def test_missing_interpreter_is_a_start_up_error_naming_function_and_runtime(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"routes": {"$default": {"function": "Api"}},
                                  "functions": {"Api": fn("nodejs20.x", "app.handler", NODE / "cjs")}}))
    result = run_cli(["--port", "0", "-c", str(config), "--runtime", "nodejs20.x=/nonexistent/node"])
    assert result.returncode == 2
    assert "function Api (nodejs20.x): --runtime nodejs20.x=/nonexistent/node: not an executable" in result.stderr.decode()


@pytest.mark.parametrize("args,message", [
    (["--max-concurrency", "0"], "--max-concurrency expects a number from 1 to 1000, got '0'"),
    (["--max-concurrency", "many"], "--max-concurrency expects a number from 1 to 1000, got 'many'"),
    (["--runtime", "nodejs20.x"], "--runtime expects NAME=PATH (e.g. nodejs20.x=/usr/bin/node), got 'nodejs20.x'"),
    (["--runtime", "=/usr/bin/node"], "--runtime expects NAME=PATH"),
])
def test_function_flags_are_checked(args, message):
    result = run_cli(["--port", "0"] + args)
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_zip_code_is_a_start_up_error(tmp_path):
    archive = tmp_path / "fn.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"routes": {"$default": {"function": "Zip"}},
                                  "functions": {"Zip": fn("nodejs20.x", "app.handler", archive)}}))
    result = run_cli(["--port", "0", "-c", str(config)])
    assert result.returncode == 2
    assert "function Zip (nodejs20.x): code " in result.stderr.decode() and "is a .zip" in result.stderr.decode()


def test_shutdown_delivers_every_disconnect_then_stops_every_process(wsgate, record):
    server = start(wsgate, {"$disconnect": {"function": "Rec"}, "$default": {"function": "Rec", "twoWay": True}},
                   {"Rec": fn("nodejs20.x", "record.handler", NODE / "cjs", environment={"RECORD_FILE": str(record)})})
    clients = [wsclient.connect(server.ws_url(), timeout=10) for _ in range(5)]
    pids = set()
    for ws in clients:
        ws.send(json.dumps({"sleep": 300}))
    for ws in clients:
        pids.add(json.loads(wsclient.recv_text(ws, timeout=15))["pid"])
    assert all(is_alive(p) for p in pids)
    runtime_children = set(children(server.proc.pid))
    assert pids <= runtime_children
    ids = set(server.connections())
    # the clients answer wsgate's close (1001 Going away) as browsers do
    closers = [threading.Thread(target=wsclient.wait_close, args=(ws, 10)) for ws in clients]
    for t in closers:
        t.start()
    assert server.stop() == []
    for t in closers:
        t.join()
    lines = recorded(record, "$disconnect")
    assert {line[1] for line in lines} == ids  # every $disconnect reached the function before it stopped
    for pid in runtime_children:
        assert not is_alive(pid), f"runtime process {pid} outlived wsgate"
        assert pgid_members(pid) == [], f"process group {pid} outlived wsgate"
    for ws in clients:
        ws.close()


def test_killed_wsgate_leaves_no_orphan(tmp_path, record):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"routes": {"$default": {"function": "Rec", "twoWay": True}},
                                  "functions": {"Rec": fn("nodejs20.x", "record.handler", NODE / "cjs",
                                                          environment={"RECORD_FILE": str(record)})}}))
    server = WsgateServer(["-c", str(config)], tmp_path / "wsgate.log").start()
    try:
        ws = wsclient.connect(server.ws_url(), timeout=10)
        pid = send_recv(ws, {"sleep": 1})["pid"]
        assert is_alive(pid)
        server.proc.kill()
        server.proc.wait(timeout=5)
        wait_for(lambda: not is_alive(pid), 5, "the runtime process to die with wsgate")
        ws.close()
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
        server.stopped = True


# ---- (3) environment, hot reload, authorizer --------------------------------------------------

def test_environment_is_lambdas(wsgate):
    server = start(wsgate, {"$default": {"function": "Env"}},
                   {"Env": fn("nodejs20.x", "esm/app.handler", NODE, memorySize=256,
                              environment={"GREETING": "hello", "TABLE_NAME": "Chat"})},
                   "--region", "eu-west-1")
    ws = wsclient.connect(server.ws_url(), timeout=15)
    env = send_recv(ws, {"action": "env"})["env"]
    ws.close()
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "Env"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/Env"
    assert re.match(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x"
    assert re.match(r"^127\.0\.0\.1:\d+$", env["AWS_LAMBDA_RUNTIME_API"])
    assert env["_HANDLER"] == "esm/app.handler"
    assert env["LAMBDA_TASK_ROOT"] == str(NODE)
    assert env["TZ"] == ":UTC"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    assert (env["GREETING"], env["TABLE_NAME"]) == ("hello", "Chat")


def test_strict_auth_functions_get_a_key_the_management_api_accepts(wsgate):
    server = start(wsgate, {"$default": {"function": "Esm"}}, {"Esm": fn("nodejs20.x", "esm/app.handler", NODE)},
                   "--auth", "strict", "--credentials", "AKIDUSERKEY000000000:user-secret")
    ws = wsclient.connect(server.ws_url(), timeout=15)
    answer = send_recv(ws, {"action": "echo", "message": "strict"})  # PostToConnection signed with the function's key
    assert answer["echo"] == "strict"
    ws.close()


def test_hot_reload_uses_the_new_code_and_keeps_connections_open(wsgate, tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    handler = code / "app.js"
    handler.write_text("exports.handler = async () => ({ statusCode: 200, body: 'v1 ' + process.pid });\n")
    server = start(wsgate, {"$default": {"function": "Hot", "twoWay": True}}, {"Hot": fn("nodejs20.x", "app.handler", code)})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    ws.send("{}")
    v1, pid1 = wsclient.recv_text(ws, timeout=15).split()
    assert v1 == "v1"
    handler.write_text("exports.handler = async () => ({ statusCode: 200, body: 'v2 ' + process.pid });\n")
    wait_for(lambda: "code changed" in log_text(server), 5, "the change to be noticed")
    ws.send("{}")
    v2, pid2 = wsclient.recv_text(ws, timeout=15).split()
    assert (v2, pid2 != pid1) == ("v2", True)
    wait_for(lambda: not is_alive(int(pid1)), 5, "the old process to retire")
    ws.close()


def test_no_reload_keeps_the_old_code(wsgate, tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    handler = code / "app.js"
    handler.write_text("exports.handler = async () => ({ statusCode: 200, body: 'v1' });\n")
    server = start(wsgate, {"$default": {"function": "Hot", "twoWay": True}}, {"Hot": fn("nodejs20.x", "app.handler", code)},
                   "--no-reload")
    ws = wsclient.connect(server.ws_url(), timeout=15)
    ws.send("{}")
    assert wsclient.recv_text(ws, timeout=15) == "v1"
    handler.write_text("exports.handler = async () => ({ statusCode: 200, body: 'v2' });\n")
    time.sleep(0.5)
    ws.send("{}")
    assert wsclient.recv_text(ws, timeout=15) == "v1"
    ws.close()


def test_authorizer_function_allows_and_denies(wsgate):
    server = start(wsgate, {"$connect": {"function": "Esm"}, "$default": {"function": "Esm", "twoWay": True}},
                   {"Esm": fn("nodejs20.x", "esm/app.handler", NODE), "Auth": fn("nodejs20.x", "auth.handler", NODE / "cjs")},
                   authorizer={"function": "Auth", "identitySource": ["route.request.querystring.token"]})
    assert wsclient.handshake_status(server.ws_url(query="token=deny"), timeout=15) == 403
    ws = wsclient.connect(server.ws_url(query="token=allow"), timeout=15)
    assert send_recv(ws, {"action": "reply", "message": "in"})["reply"] == "in"
    ws.close()
    assert wsclient.handshake_status(server.ws_url(), timeout=15) == 401  # no identity source: not even called


# ---- (4) Java and Go ---------------------------------------------------------------------------

JAVA_DIR = DATA / "java"
GO_DIR = DATA / "go"


@pytest.fixture(scope="session")
def java_jar():
    """The Java handler, built with mvn package (rebuilt when its sources are newer)."""
    jar = JAVA_DIR / "target" / "echo-function.jar"
    sources = list((JAVA_DIR / "src").rglob("*.java")) + [JAVA_DIR / "pom.xml"]
    if not jar.exists() or any(s.stat().st_mtime > jar.stat().st_mtime for s in sources):
        subprocess.run(["mvn", "-q", "-B", "package", "-DskipTests"], cwd=JAVA_DIR, check=True, timeout=300)
    return jar


@pytest.fixture(scope="session")
def go_bootstrap():
    """The Go handler, built with go build (aws-lambda-go from the Go module proxy or cache)."""
    exe = GO_DIR / "bootstrap"
    go = shutil.which("go") or "/usr/local/go/bin/go"
    env = dict(os.environ, CGO_ENABLED="0")
    subprocess.run([go, "build", "-o", str(exe), "."], cwd=GO_DIR, check=True, timeout=300, env=env)
    return exe


def test_java_handler_through_awss_runtime_interface_client(wsgate, java_jar):
    server = start(wsgate, {"$default": {"function": "Java", "twoWay": True}},
                   {"Java": fn("java17", "example.Echo::handleRequest", java_jar, timeout=30)})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    answer = send_recv(ws, {"action": "hi", "message": "from java"}, timeout=40)
    assert answer == {"runtime": "java", "echo": "from java", "functionName": "Java"}
    ws.close()


def test_go_handler_as_provided_al2023_bootstrap(wsgate, go_bootstrap):
    server = start(wsgate, {"$default": {"function": "Go", "twoWay": True}},
                   {"Go": fn("provided.al2023", "bootstrap", GO_DIR)})
    ws = wsclient.connect(server.ws_url(), timeout=15)
    answer = send_recv(ws, {"action": "hi", "message": "from go"})
    assert answer == {"runtime": "go", "echo": "from go", "functionName": "Go"}
    ws.close()
