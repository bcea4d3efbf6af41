"""Management API @connections (AWS-MGMT; README.md "Management API")."""
import time

import pytest

from wsgatekit import aws, mgmt, wsclient

NEVER_SEEN_ID = "AAAAAAAAAAAAAAA="


def check_error(resp, status, shape):
    """Every management error: status, x-amzn-ErrorType, x-amzn-RequestId (uuid), JSON type."""
    assert resp.status == status, (resp.status, resp.body)
    assert resp.header("x-amzn-ErrorType") == shape
    assert aws.UUID_RE.match(resp.header("x-amzn-RequestId") or ""), resp.header("x-amzn-RequestId")
    assert (resp.header("Content-Type") or "").startswith("application/json")


def check_gone(resp):
    check_error(resp, 410, "GoneException")
    assert resp.body == b""
    assert resp.header("Content-Length") in ("0", None)


@pytest.mark.parametrize("data", [
    "hello",
    "Grüße, 世界 ✓ 😀 \"quoted\" \\ back",
    "x" * (100 * 1024),
], ids=["ascii", "utf8", "100KB"])
# inferred: AWS-MGMT-3 (the empty 200 body) (wsgate's choice, not a capture of AWS)
def test_post_to_connection_delivers_exactly(gate, backend, open_client, data):
    ws, connect = open_client(gate, backend)
    resp = mgmt.post(gate.port, connect.context["connectionId"], data.encode("utf-8"))
    assert resp.status == 200, (resp.status, resp.body)
    assert resp.body == b""
    assert wsclient.recv_text(ws) == data


def test_post_exactly_131072_bytes_accepted(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    data = "y" * 131072
    resp = mgmt.post(gate.port, connect.context["connectionId"], data)
    assert resp.status == 200, (resp.status, resp.body[:200])
    assert wsclient.recv_text(ws) == data


# inferred: AWS-MGMT-14 (the body text) (wsgate's choice, not a capture of AWS)
def test_post_over_131072_bytes_413(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    conn_id = connect.context["connectionId"]
    resp = mgmt.post(gate.port, conn_id, "z" * 131073)
    check_error(resp, 413, "PayloadTooLargeException")
    assert "message" in resp.json()
    # Nothing was delivered and the connection is still usable.
    assert mgmt.post(gate.port, conn_id, "after").status == 200
    assert wsclient.recv_text(ws) == "after"


# inferred: AWS-MGMT-8 (the key order) (wsgate's choice, not a capture of AWS)
def test_get_connection(gate, backend, open_client):
    ws, connect = open_client(gate, backend, headers=["User-Agent: e2e-agent/2.0"])
    ctx = connect.context
    resp = mgmt.get(gate.port, ctx["connectionId"])
    assert resp.status == 200, (resp.status, resp.body)
    assert (resp.header("Content-Type") or "").startswith("application/json")
    body = resp.json()
    assert list(body) == ["connectedAt", "identity", "lastActiveAt"]
    assert aws.ISO_MS_RE.match(body["connectedAt"]), body["connectedAt"]
    assert aws.ISO_MS_RE.match(body["lastActiveAt"]), body["lastActiveAt"]
    assert body["identity"]["sourceIp"] == "127.0.0.1"
    assert body["identity"]["userAgent"] == "e2e-agent/2.0"
    assert aws.iso_ms_to_epoch_ms(body["connectedAt"]) == ctx["connectedAt"]
    assert aws.iso_ms_to_epoch_ms(body["lastActiveAt"]) >= ctx["connectedAt"]
    assert abs(aws.iso_ms_to_epoch_ms(body["connectedAt"]) - time.time() * 1000) < 60_000


def test_delete_connection(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    conn_id = connect.context["connectionId"]
    resp = mgmt.delete(gate.port, conn_id)
    assert resp.status == 204, (resp.status, resp.body)
    assert resp.body == b""
    code, reason, _ = wsclient.wait_close(ws)
    assert code == 1000
    rec = backend.wait_for_event("$disconnect", connection_id=conn_id)
    assert rec.context["disconnectStatusCode"] == 1000
    assert rec.context["disconnectReason"] == "Connection Closed Normally"
    check_gone(mgmt.get(gate.port, conn_id))
    check_gone(mgmt.delete(gate.port, conn_id))
    assert conn_id not in gate.connections()


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
# inferred: AWS-MGMT-11 (the empty body) (wsgate's choice, not a capture of AWS)
def test_gone_after_client_close(gate, backend, open_client, method):
    ws, connect = open_client(gate, backend)
    conn_id = connect.context["connectionId"]
    ws.close()
    backend.wait_for_event("$disconnect", connection_id=conn_id)
    path = mgmt.connection_path(conn_id)
    check_gone(mgmt.raw_request(gate.port, method, path, b"late" if method == "POST" else b""))


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
# inferred: AWS-MGMT-11 (the empty body) (wsgate's choice, not a capture of AWS)
def test_gone_never_seen_id(gate, method):
    path = mgmt.connection_path(NEVER_SEEN_ID)
    check_gone(mgmt.raw_request(gate.port, method, path, b"data" if method == "POST" else b""))


def test_boto3_post_get_delete(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    conn_id = connect.context["connectionId"]
    client = mgmt.boto3_client(gate.port)
    client.post_to_connection(ConnectionId=conn_id, Data=b"from boto3")
    assert wsclient.recv_text(ws) == "from boto3"
    info = client.get_connection(ConnectionId=conn_id)
    assert info["Identity"]["SourceIp"] == "127.0.0.1"
    assert abs(info["ConnectedAt"].timestamp() * 1000 - connect.context["connectedAt"]) < 1
    client.delete_connection(ConnectionId=conn_id)
    code, _, _ = wsclient.wait_close(ws)
    assert code == 1000


# inferred: AWS-MGMT-11 (the empty body) (wsgate's choice, not a capture of AWS)
def test_boto3_gone_exception(gate, backend, open_client):
    client = mgmt.boto3_client(gate.port)
    with pytest.raises(client.exceptions.GoneException) as info:
        client.post_to_connection(ConnectionId=NEVER_SEEN_ID, Data=b"x")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410

    ws, connect = open_client(gate, backend)
    conn_id = connect.context["connectionId"]
    ws.close()
    backend.wait_for_event("$disconnect", connection_id=conn_id)
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId=conn_id)


@pytest.mark.parametrize("method,path", [
    ("POST", "/@connections/" + NEVER_SEEN_ID.replace("=", "%3D")),
    ("GET", "/"),
    ("GET", "/other"),
    ("POST", "/prod/@connections/" + NEVER_SEEN_ID.replace("=", "%3D")),   # stage that does not exist
])
def test_missing_stage_forbidden(gate, method, path):
    resp = mgmt.raw_request(gate.port, method, path, b"x" if method == "POST" else b"")
    check_error(resp, 403, "ForbiddenException")
    assert resp.body == b'{"message":"Forbidden"}'


def test_percent_encoded_at_sign_accepted(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    path = mgmt.connection_path(connect.context["connectionId"], at="%40")
    assert "%40connections" in path
    resp = mgmt.raw_request(gate.port, "POST", path, b"via %40")
    assert resp.status == 200, (resp.status, resp.body)
    assert wsclient.recv_text(ws) == "via %40"


def test_post_with_sdk_content_type_and_payload_hash(gate, backend, open_client):
    # JS v3 sends Content-Type application/octet-stream and a signed x-amz-content-sha256 (AWS-MGMT-4).
    import hashlib
    ws, connect = open_client(gate, backend)
    body = b"js-style"
    resp = mgmt.post(gate.port, connect.context["connectionId"], body,
                     headers={"Content-Type": "application/octet-stream",
                              "x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
    assert resp.status == 200, (resp.status, resp.body)
    assert wsclient.recv_text(ws) == "js-style"


def test_unsigned_request_missing_authentication_token(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    resp = mgmt.post(gate.port, connect.context["connectionId"], b"unsigned", sign=False)
    check_error(resp, 403, "MissingAuthenticationTokenException")
    assert resp.body == b'{"message":"Missing Authentication Token"}'


def test_post_during_connect_is_gone(gate, backend):
    # The id exists during $connect but is not yet usable (AWS-LIFE-3): hold $connect, post meanwhile.
    backend.set_answer("$connect", body={"statusCode": 200}, delay=1.5)
    import threading
    result = {}
    thread = threading.Thread(target=lambda: result.update(ws=wsclient.connect(gate.ws_url())))
    thread.start()
    try:
        rec = backend.wait_for_event("$connect")
        check_gone(mgmt.post(gate.port, rec.context["connectionId"], b"too early"))
    finally:
        thread.join(10)
        if "ws" in result:
            result["ws"].close()


def test_gone_immediately_after_delete(gate, backend, open_client):
    """AWS: once DeleteConnection has answered, the connection is gone for every call, even before
    the client has answered the close frame (found by the Go SDK test)."""
    for _ in range(20):
        ws, connect = open_client(gate, backend)
        cid = connect.context["connectionId"]
        assert mgmt.delete(gate.port, cid).status == 204
        assert mgmt.get(gate.port, cid).status == 410
        assert mgmt.post(gate.port, cid, "too late").status == 410
        assert mgmt.delete(gate.port, cid).status == 410
        assert cid not in gate.connections()
