"""SigV4 on the management API (AWS-SIG-1..17) and the --auth modes (README.md "Management API")."""
import datetime
import re

import pytest

from wsgatekit import mgmt, wsclient
from wsgatekit.mgmt import connection_path

TS = r"(\d{8}T\d{6}Z)"


def check_403(resp, shape):
    assert resp.status == 403, (resp.status, resp.body)
    assert resp.header("x-amzn-ErrorType") == shape
    assert (resp.header("Content-Type") or "").startswith("application/json")
    body = resp.json()
    assert list(body) == ["message"]
    return body["message"]


def test_bearer_token_incomplete_signature(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    path = connection_path(connect.context["connectionId"])
    resp = mgmt.raw_request(gate.port, "POST", path, b"x", sign=False,
                            headers={"Authorization": "Bearer abc123"})
    message = check_403(resp, "IncompleteSignatureException")
    assert message == ("'abc123' not a valid key=value pair (missing equal-sign) in Authorization "
                       "header: 'Bearer abc123'.")


def test_single_token_incomplete_signature(gate):
    path = connection_path("AAAAAAAAAAAAAAA=")
    resp = mgmt.raw_request(gate.port, "GET", path, sign=False, headers={"Authorization": "garbage"})
    message = check_403(resp, "IncompleteSignatureException")
    assert message == ("Authorization header requires 'Credential' parameter. Authorization header "
                       "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
                       "parameter. Authorization header requires existence of either a 'X-Amz-Date' "
                       "or a 'Date' header. Authorization=garbage")


def test_signature_expired(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    then = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    resp = mgmt.post(gate.port, connect.context["connectionId"], b"old", signed_at=then)
    message = check_403(resp, "InvalidSignatureException")
    match = re.match(rf"^Signature expired: {TS} is now earlier than {TS} \({TS} - 5 min\.\)$", message)
    assert match, message
    assert match.group(1) == then.strftime("%Y%m%dT%H%M%SZ")


def test_signature_not_yet_current(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=20)
    resp = mgmt.post(gate.port, connect.context["connectionId"], b"future", signed_at=later)
    message = check_403(resp, "InvalidSignatureException")
    assert re.match(rf"^Signature not yet current: {TS} is still later than {TS} \({TS} \+ 5 min\.\)$",
                    message), message


def test_sigv4_mode_accepts_any_key(gate, backend, open_client):
    ws, connect = open_client(gate, backend)
    resp = mgmt.post(gate.port, connect.context["connectionId"], b"any key",
                     credentials=("AKIDSOMEONEELSE", "whatever"))
    assert resp.status == 200, (resp.status, resp.body)
    assert wsclient.recv_text(ws) == "any key"


def test_auth_none_accepts_unsigned(wsgate, backend, open_client):
    server = wsgate("--backend", backend.url(), "--auth", "none")
    ws, connect = open_client(server, backend)
    resp = mgmt.post(server.port, connect.context["connectionId"], b"unsigned", sign=False)
    assert resp.status == 200, (resp.status, resp.body)
    assert wsclient.recv_text(ws) == "unsigned"


@pytest.fixture
def strict(wsgate, backend):
    return wsgate("--backend", backend.url(), "--auth", "strict",
                  "--credentials", f"{mgmt.ACCESS_KEY}:{mgmt.SECRET_KEY}")


def test_auth_strict_known_key(strict, backend, open_client):
    ws, connect = open_client(strict, backend)
    resp = mgmt.post(strict.port, connect.context["connectionId"], b"strict ok")
    assert resp.status == 200, (resp.status, resp.body)
    assert wsclient.recv_text(ws) == "strict ok"
    # boto3 signs the same way.
    mgmt.boto3_client(strict.port).post_to_connection(ConnectionId=connect.context["connectionId"],
                                                      Data=b"boto3 strict")
    assert wsclient.recv_text(ws) == "boto3 strict"


def test_auth_strict_wrong_secret(strict, backend, open_client):
    ws, connect = open_client(strict, backend)
    resp = mgmt.post(strict.port, connect.context["connectionId"], b"x",
                     credentials=(mgmt.ACCESS_KEY, "not-the-secret"))
    message = check_403(resp, "InvalidSignatureException")
    assert message.startswith("The request signature we calculated does not match the signature "
                              "you provided."), message


def test_auth_strict_unknown_key(strict, backend, open_client):
    ws, connect = open_client(strict, backend)
    resp = mgmt.post(strict.port, connect.context["connectionId"], b"x",
                     credentials=("AKIDUNKNOWN", mgmt.SECRET_KEY))
    message = check_403(resp, "UnrecognizedClientException")
    assert message == "The security token included in the request is invalid."
