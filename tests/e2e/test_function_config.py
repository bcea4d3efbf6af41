"""Functions wsgate runs itself, the configuration side (issue 13 items 1 and 3; docs/config-formats.md):
`wsgate -c <template>` with the functions' code on disk starts without any --function mapping and
lists each function, its runtime, handler and code directory, and the routes it serves. Whether the
functions then answer is the runtime's part (tests of functions.c); these tests only start wsgate,
read what it announces and stop it. Fixtures: tests/data/config/functions/."""
import re

from helpers.server import REPO_ROOT, run_cli

DATA = REPO_ROOT / "tests" / "data" / "config" / "functions"
FUNCTION_RE = re.compile(r"function (\S+) \(([^,]+), ([^,]+), ([^)]+)\): (.*)$", re.M)


def announced(server):
    """{name: (runtime, handler, code path, [routes])} from the start-up log."""
    return {m[1]: (m[2], m[3], m[4], m[5].split(", ")) for m in FUNCTION_RE.finditer(server.log_text())}


def test_sam_template_lists_functions_and_routes(wsgate, backend):
    server = wsgate("-c", str(DATA / "sam" / "template.yaml"),
                    "--function", f"RemoteFunction={backend.url('/remote')}")
    functions = announced(server)
    assert functions == {
        "OnConnectFunction": ("nodejs20.x", "app.handler", str(DATA / "sam" / "src" / "connect"), ["$connect"]),
        "SendFunction": ("python3.12", "app.handler", str(DATA / "sam" / "src" / "send"), ["sendmessage"]),
    }
    assert f"ws://127.0.0.1:{server.port}/dev" in server.log_text()


def test_sam_build_output_works_like_any_template(wsgate, backend):
    build = DATA / "sam" / ".aws-sam" / "build"
    server = wsgate("-c", str(build / "template.yaml"), "--function", f"RemoteFunction={backend.url('/r')}")
    functions = announced(server)
    assert functions["OnConnectFunction"][2] == str(build / "OnConnectFunction")
    assert functions["SendFunction"][2] == str(build / "SendFunction")


def test_parameter_overrides_reach_the_stage(wsgate, backend):
    server = wsgate("-c", str(DATA / "sam" / "template.yaml"), "--function", f"RemoteFunction={backend.url('/r')}",
                    "--parameter-overrides", "Stage=prod LogLevel=debug")
    assert f"ws://127.0.0.1:{server.port}/prod" in server.log_text()


def test_cdk_asset_directory(wsgate):
    cdk = DATA / "cdk.out"
    server = wsgate("-c", str(cdk / "ChatStack.template.json"))
    functions = announced(server)
    asset = str(next(cdk.glob("asset.*")))
    assert functions == {
        "ConnectHandler2FFD52D8": ("nodejs20.x", "index.connect", asset, ["$connect"]),
        "MessageHandler0A9F6F5B": ("nodejs20.x", "index.message", asset, ["sendmessage"]),
    }


def test_serverless_handlers_on_disk(wsgate, backend):
    server = wsgate("-c", str(DATA / "serverless" / "serverless.yml"), "--function", f"missing={backend.url('/m')}")
    functions = announced(server)
    service = str(DATA / "serverless")
    assert functions == {
        "connect": ("nodejs20.x", "src/handler.connect", service, ["$connect"]),
        "message": ("python3.12", "py/handler.message", service, ["$default"]),
    }


def test_function_flag_still_overrides_one_function(wsgate, backend):
    server = wsgate("-c", str(DATA / "sam" / "template.yaml"), "--function", f"RemoteFunction={backend.url('/r')}",
                    "--function", f"SendFunction={backend.url('/send')}")
    assert set(announced(server)) == {"OnConnectFunction"}


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
