"""The installed wsgate wheel: console script, wsgate.start(), and the pytest fixture (function and
session scope, ini options and the marker), driven by `websockets` and boto3."""
import json
import os
import subprocess
import sys
import time

import boto3
import botocore
import pytest
import websockets.sync.client
from botocore.config import Config

import wsgate as wsgate_pkg


def mgmt(gw, akid="AKIDPYTEST", secret="pytest-secret"):
    return boto3.client("apigatewaymanagementapi", endpoint_url=gw.management_endpoint, region_name=gw.region,
                        aws_access_key_id=akid, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10))


def wait_for(pred, seconds=5.0):
    end = time.monotonic() + seconds
    while not pred() and time.monotonic() < end:
        time.sleep(0.02)
    return pred()


def of_type(events, kind):
    return [e for e in events if e["requestContext"]["eventType"] == kind]


def test_console_script_runs_the_packaged_binary():
    exe = os.path.join(os.path.dirname(sys.executable), "wsgate")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0 and out.stdout.strip() == f"wsgate {wsgate_pkg.__version__}"
    bad = subprocess.run([exe, "--no-such-flag"], capture_output=True, text=True, timeout=20)
    assert bad.returncode == 2 and "no-such-flag" in bad.stderr
    assert wsgate_pkg.binary_path().endswith("/site-packages/wsgate/_bin/bin/wsgate")


def test_fixture_demo_round_trip_and_signed_push(wsgate):
    assert wsgate.ws_url == f"ws://127.0.0.1:{wsgate.port}/local"
    assert wsgate.region == "eu-west-1"  # from pytest.ini
    assert "region eu-west-1" in wsgate.log_text
    with websockets.sync.client.connect(wsgate.ws_url, open_timeout=5) as ws:
        ws.send(json.dumps({"action": "echo", "message": "hello from pytest"}))
        assert "hello from pytest" in ws.recv(timeout=5)
        with __import__("urllib.request").request.urlopen(f"http://127.0.0.1:{wsgate.port}/_wsgate/connections") as r:
            (cid,) = json.load(r)["connections"]
        mgmt(wsgate).post_to_connection(ConnectionId=cid, Data=b"pushed by boto3")
        assert ws.recv(timeout=5) == "pushed by boto3"


@pytest.mark.wsgate(routes={"ping": {"integration": "mock", "response": {"statusCode": 200, "body": "pong"},
                                      "twoWay": True}}, stage="marked")
def test_marker_configures_this_tests_wsgate(wsgate):
    assert wsgate.ws_url.endswith("/marked")
    with websockets.sync.client.connect(wsgate.ws_url, open_timeout=5) as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert ws.recv(timeout=5) == "pong"


@pytest.mark.wsgate(auth="strict")
def test_marker_strict_auth_with_ini_credentials(wsgate, backend):
    with websockets.sync.client.connect(wsgate.ws_url, open_timeout=5) as ws:
        with __import__("urllib.request").request.urlopen(f"http://127.0.0.1:{wsgate.port}/_wsgate/connections") as r:
            (cid,) = json.load(r)["connections"]
        mgmt(wsgate).post_to_connection(ConnectionId=cid, Data=b"known key")
        assert ws.recv(timeout=5) == "known key"
        with pytest.raises(botocore.exceptions.ClientError) as err:
            mgmt(wsgate, "AKIDSTRANGER", "nope").post_to_connection(ConnectionId=cid, Data=b"x")
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_start_context_manager_delivers_disconnect_on_exit(backend):
    with wsgate_pkg.start(backend=backend.url, credentials=("AKIDCTX", "ctx-secret")) as gw:
        ws = websockets.sync.client.connect(gw.ws_url, open_timeout=5)
        assert wait_for(lambda: of_type(backend.events, "CONNECT"))
        cid = of_type(backend.events, "CONNECT")[0]["requestContext"]["connectionId"]
        ws.send(json.dumps({"action": "hi"}))
        assert wait_for(lambda: of_type(backend.events, "MESSAGE"))
        mgmt(gw, "AKIDCTX", "ctx-secret").post_to_connection(ConnectionId=cid, Data=b"ctx push")
        assert ws.recv(timeout=5) == "ctx push"
        pid = gw.pid
    # Leaving the block waited for wsgate to exit, which it does only after delivering $disconnect.
    assert gw.process.returncode == 0
    assert [e["requestContext"]["connectionId"] for e in of_type(backend.events, "DISCONNECT")] == [cid]
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_start_reports_a_bad_config():
    with pytest.raises(wsgate_pkg.WsgateStartError, match="unknown integration 'nonsense'"):
        with wsgate_pkg.start(routes={"x": {"integration": "nonsense"}}):
            pass


def test_session_scope_shares_one_wsgate(pytester):
    """wsgate_scope = session: every test gets the same process; the `wsgate_session` fixture too."""
    pytester.makeini("[pytest]\nwsgate_scope = session\n")
    pytester.makepyfile(test_inner="""
        import pytest
        pids = set()
        @pytest.mark.parametrize("n", range(3))
        def test_same(wsgate, n):
            pids.add(wsgate.pid)
            assert len(pids) == 1
        def test_session_fixture(wsgate_session):
            assert wsgate_session.ws_url.startswith("ws://127.0.0.1:")
        @pytest.mark.wsgate(stage="x")
        def test_marker_refused(wsgate):
            pass
    """)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.wsgate needs a function-scoped `wsgate` fixture*"])
