"""Functions wsgate runs itself, the configuration side (issue 13 items 1 and 3; docs/config-formats.md):
`wsgate -c <template>` with the functions' code on disk starts without any --function mapping and
lists each function, its runtime, handler and code directory, and the routes it serves. Whether the
functions then answer is the runtime's part (tests of functions.c); these tests only start wsgate,
read what it announces and stop it. Fixtures: tests/data/config/functions/."""
import re
import time

from wsgatekit.server import REPO_ROOT, run_cli

DATA = REPO_ROOT / "tests" / "data" / "config" / "functions"
ANNOUNCE_TIMEOUT_S = 5.0
FUNCTION_RE = re.compile(r"function (\S+) \(([^,]+), ([^,]+), ([^)]+)\): (.*)$", re.M)


def wait_for_log(server, text):
    """Whether `text` appears in the server's log within ANNOUNCE_TIMEOUT_S."""
    deadline = time.monotonic() + ANNOUNCE_TIMEOUT_S
    while text not in server.log_text():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def announced(server, count, timeout=None):
    """{name: (runtime, handler, code path, [routes])} from the start-up log, once `count` functions
    are listed there (they are logged just after the "listening on" line the server fixture waits
    for), bounded by ANNOUNCE_TIMEOUT_S."""
    deadline = time.monotonic() + (ANNOUNCE_TIMEOUT_S if timeout is None else timeout)
    while True:
        found = {m[1]: (m[2], m[3], m[4], m[5].split(", ")) for m in FUNCTION_RE.finditer(server.log_text())}
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_sam_template_lists_functions_and_routes(wsgate, backend):
    server = wsgate("-c", str(DATA / "sam" / "template.yaml"),
                    "--function", f"RemoteFunction={backend.url('/remote')}")
    functions = announced(server, 2)
    assert functions == {
        "OnConnectFunction": ("nodejs20.x", "app.handler", str(DATA / "sam" / "src" / "connect"), ["$connect"]),
        "SendFunction": ("python3.12", "app.handler", str(DATA / "sam" / "src" / "send"), ["sendmessage"]),
    }
    assert wait_for_log(server, f"ws://127.0.0.1:{server.port}/dev")


def test_sam_build_output_works_like_any_template(wsgate, backend):
    build = DATA / "sam" / ".aws-sam" / "build"
    server = wsgate("-c", str(build / "template.yaml"), "--function", f"RemoteFunction={backend.url('/r')}")
    functions = announced(server, 2)
    assert functions["OnConnectFunction"][2] == str(build / "OnConnectFunction")
    assert functions["SendFunction"][2] == str(build / "SendFunction")


def test_parameter_overrides_reach_the_stage(wsgate, backend):
    server = wsgate("-c", str(DATA / "sam" / "template.yaml"), "--function", f"RemoteFunction={backend.url('/r')}",
                    "--parameter-overrides", "Stage=prod LogLevel=debug")
    assert wait_for_log(server, f"ws://127.0.0.1:{server.port}/prod")


def test_cdk_asset_directory(wsgate):
    cdk = DATA / "cdk.out"
    server = wsgate("-c", str(cdk / "ChatStack.template.json"))
    functions = announced(server, 2)
    asset = str(next(cdk.glob("asset.*")))
    assert functions == {
        "ConnectHandler2FFD52D8": ("nodejs20.x", "index.connect", asset, ["$connect"]),
        "MessageHandler0A9F6F5B": ("nodejs20.x", "index.message", asset, ["sendmessage"]),
    }


def test_serverless_handlers_on_disk(wsgate, backend):
    server = wsgate("-c", str(DATA / "serverless" / "serverless.yml"), "--function", f"missing={backend.url('/m')}")
    functions = announced(server, 2)
    service = str(DATA / "serverless")
    assert functions == {
        "connect": ("nodejs20.x", "src/handler.connect", service, ["$connect"]),
        "message": ("python3.12", "py/handler.message", service, ["$default"]),
    }


def test_function_flag_still_overrides_one_function(wsgate, backend):
    server = wsgate("-c", str(DATA / "sam" / "template.yaml"), "--function", f"RemoteFunction={backend.url('/r')}",
                    "--function", f"SendFunction={backend.url('/send')}")
    # one function only: wait a little for a second one that must not come
    assert set(announced(server, 2, timeout=1.0)) == {"OnConnectFunction"}


def test_code_not_on_disk_is_still_unmapped():
    result = run_cli(["-c", str(DATA / "sam" / "template.yaml")])
    assert result.returncode == 2, result
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "RemoteFunction (routes.$default)" in lines[0], lines
    assert "OnConnectFunction" not in lines[0] and "SendFunction" not in lines[0], lines


def test_env_vars_file_errors_are_one_line(tmp_path):
    bad = tmp_path / "env.json"
    bad.write_text('{"Parameters": {"A": {"nested": 1}}}')
    for path, expected in ((bad, "Parameters.A must be a string"), (tmp_path / "none.json", "No such file")):
        result = run_cli(["-c", str(DATA / "sam" / "template.yaml"), "--function", "RemoteFunction=http://127.0.0.1:9/r",
                          "--env-vars", str(path)])
        assert result.returncode == 2, result
        lines = result.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and expected in lines[0] and str(path) in lines[0], lines
