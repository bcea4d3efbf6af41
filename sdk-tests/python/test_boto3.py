"""boto3 `apigatewaymanagementapi` against wsgate (see sdk-tests/README.md)."""
import datetime

import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from conftest import USER_AGENT, make_client

ASCII = "hello from boto3"
UTF8 = "h\u00e9llo w\u00f6rld \u2014 \u2713 \u65e5\u672c\u8a9e \U0001F389"


def pattern(n):
    block = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
    return (block * (n // len(block) + 1))[:n]


def test_post_ascii(client, peer):
    r = client.post_to_connection(ConnectionId=peer.id, Data=ASCII.encode())
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert peer.recv_text() == ASCII.encode()


def test_post_multibyte_utf8(client, peer):
    client.post_to_connection(ConnectionId=peer.id, Data=UTF8.encode("utf-8"))
    got = peer.recv_text()
    assert got == UTF8.encode("utf-8")
    assert got.decode("utf-8") == UTF8


def test_post_100kb(client, peer):
    data = pattern(100 * 1024)
    client.post_to_connection(ConnectionId=peer.id, Data=data)
    got = peer.recv_text()
    assert len(got) == len(data)
    assert got == data


def test_post_131072_bytes_is_accepted(client, peer):
    data = pattern(131072)
    client.post_to_connection(ConnectionId=peer.id, Data=data)
    assert peer.recv_text() == data


def test_post_131073_bytes_raises_payload_too_large(client, peer):
    with pytest.raises(client.exceptions.PayloadTooLargeException) as e:
        client.post_to_connection(ConnectionId=peer.id, Data=pattern(131073))
    assert e.value.response["Error"]["Code"] == "PayloadTooLargeException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    # the connection is still usable
    client.post_to_connection(ConnectionId=peer.id, Data=b"still open")
    assert peer.recv_text() == b"still open"


def test_get_connection_typed_fields(client, peer):
    r = client.get_connection(ConnectionId=peer.id)
    now = datetime.datetime.now(datetime.timezone.utc)
    connected, last = r["ConnectedAt"], r["LastActiveAt"]
    assert isinstance(connected, datetime.datetime) and connected.tzinfo is not None
    assert isinstance(last, datetime.datetime) and last.tzinfo is not None
    assert abs((now - connected).total_seconds()) < 300
    assert last >= connected
    assert r["Identity"]["SourceIp"] == "127.0.0.1"
    assert r["Identity"]["UserAgent"] == USER_AGENT


def test_delete_connection_closes_client_and_then_gone(client, peer):
    r = client.delete_connection(ConnectionId=peer.id)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert peer.recv_close_code() == 1000
    with pytest.raises(client.exceptions.GoneException) as e:
        client.post_to_connection(ConnectionId=peer.id, Data=b"too late")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    with pytest.raises(client.exceptions.GoneException):
        client.get_connection(ConnectionId=peer.id)
    with pytest.raises(client.exceptions.GoneException):
        client.delete_connection(ConnectionId=peer.id)


def test_unknown_connection_is_gone(client):
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")


def test_wrong_secret(gate, peer):
    bad = make_client(gate, secret="not-the-secret")
    if gate["auth"] == "strict":
        with pytest.raises(ClientError) as e:
            bad.post_to_connection(ConnectionId=peer.id, Data=b"forged")
        assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        good = make_client(gate)
        good.post_to_connection(ConnectionId=peer.id, Data=b"signed")
        assert peer.recv_text() == b"signed"
    else:
        # --auth sigv4: any well-formed, current signature is accepted
        bad.post_to_connection(ConnectionId=peer.id, Data=b"any key")
        assert peer.recv_text() == b"any key"


def test_unsigned_request_is_rejected(gate, peer):
    unsigned = make_client(gate, signature_version=UNSIGNED)
    with pytest.raises(ClientError) as e:
        unsigned.post_to_connection(ConnectionId=peer.id, Data=b"unsigned")
    assert e.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
