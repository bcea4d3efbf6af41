"""$connect authorization (issue 7; AWS-AUTH-1..22): Lambda REQUEST authorizers (an HTTP URL or
the Lambda Invoke API), IAM (presigned handshake URLs) and API keys."""
import json
import time

import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from wsgatekit import aws, wsclient
from wsgatekit.backend import RecordingBackend
from wsgatekit.lambda_invoke import LambdaInvokeStub

AUTHORIZER_KEYS = ["type", "methodArn", "headers", "multiValueHeaders", "queryStringParameters",
                   "multiValueQueryStringParameters", "stageVariables", "requestContext"]


@pytest.fixture
def authz():
    """A second recording backend that plays the authorizer (its answers are keyed "$connect")."""
    server = RecordingBackend()
    yield server
    server.close()


@pytest.fixture
def lam():
    stub = LambdaInvokeStub()
    yield stub
    stub.close()


def policy(effect="Allow", resource="*", principal="user-1", context=None, action="execute-api:Invoke"):
    doc = {"principalId": principal,
           "policyDocument": {"Version": "2012-10-17",
                              "Statement": [{"Action": action, "Effect": effect, "Resource": resource}]}}
    if context is not None:
        doc["context"] = context
    return doc


def authorizer_config(backend, authz, identity=("route.request.header.Authorization",), **extra):
    config = {
        "authorizer": {"integration": "http", "uri": authz.url("/authorize"), "identitySource": list(identity)},
        "routes": {key: {"uri": backend.url("/" + key.lstrip("$"))} for key in ("$connect", "$disconnect")},
    }
    config["routes"]["$default"] = {"uri": backend.url("/default")}
    config.update(extra)
    return config


def ci_sorted(keys):
    return sorted(keys, key=str.lower) == list(keys)


# ---- Lambda REQUEST authorizer over HTTP ---------------------------------------------------------

# inferred: AWS-AUTH-14, AWS-AUTH-15 (message events, strings) (wsgate's choice, not a capture of AWS)
def test_allow_context_in_every_event_and_called_once(wsgate, backend, authz):
    authz.set_answer("$connect", body=policy(context={"role": "admin", "n": 1, "b": True, "f": 1.5}))
    server = wsgate(config=authorizer_config(backend, authz))
    ws = wsclient.connect(server.ws_url(), headers=["Authorization: Bearer abc", "User-Agent: e2e/1.0"])
    connect = backend.wait_for_event("$connect")
    expected = {"principalId": "user-1", "role": "admin", "n": "1", "b": "true", "f": "1.5"}
    assert connect.context["authorizer"] == expected
    assert list(connect.context)[:2] == ["routeKey", "authorizer"]
    ws.send("hello")
    message = backend.wait_for_event("$default")
    assert message.context["authorizer"] == expected
    assert list(message.context["authorizer"]) == list(expected)     # principalId first
    ws.send("again")
    backend.wait_for_events("$default", 2)
    ws.close()
    disconnect = backend.wait_for_event("$disconnect")
    assert disconnect.context["authorizer"] == expected
    assert list(disconnect.context)[:3] == ["routeKey", "disconnectStatusCode", "authorizer"]
    time.sleep(0.2)
    assert len(authz.records) == 1                                  # never called again


def test_authorizer_event_shape(wsgate, backend, authz):
    authz.set_answer("$connect", body=policy())
    config = authorizer_config(backend, authz, stageVariables={"env": "dev"}, accountId="111122223333")
    server = wsgate(config=config)
    ws = wsclient.connect(server.ws_url(), headers=["Authorization: tok"])
    connect = backend.wait_for_event("$connect")
    record = authz.records[0]
    event = record.event
    assert record.method == "POST" and record.path == "/authorize"
    assert list(event) == AUTHORIZER_KEYS
    # one handshake, one request: the authorizer and $connect events share requestId and trace id
    assert event["requestContext"]["requestId"] == connect.context["requestId"]
    assert event["headers"]["X-Amzn-Trace-Id"] == connect.event["headers"]["X-Amzn-Trace-Id"]
    assert event["type"] == "REQUEST"
    api_id = connect.context["apiId"]
    assert event["methodArn"] == f"arn:aws:execute-api:us-east-1:111122223333:{api_id}/local/$connect"
    headers = event["headers"]
    assert headers["Authorization"] == "tok"
    assert headers["Upgrade"] == "websocket"
    assert headers["content-length"] == "0"
    assert any(k.lower() == "connection" for k in headers)
    assert headers["X-Forwarded-Port"] == "443" and headers["X-Forwarded-Proto"] == "https"
    assert aws.TRACE_ID_RE.match(headers["X-Amzn-Trace-Id"])
    assert ci_sorted(list(headers))
    assert list(event["multiValueHeaders"]) == list(headers)
    assert all(event["multiValueHeaders"][k] == [v] for k, v in headers.items())
    assert event["queryStringParameters"] == {} and event["multiValueQueryStringParameters"] == {}
    assert event["stageVariables"] == {"env": "dev"}
    ctx = event["requestContext"]
    assert list(ctx) == aws.CONNECT_CONTEXT_KEYS
    assert ctx["connectionId"] == connect.context["connectionId"]
    assert ctx["requestId"] == connect.context["requestId"]
    assert ctx["connectedAt"] == connect.context["connectedAt"]
    # the integration event still has no Connection/Upgrade (AWS-HDR-1)
    assert not any(k.lower() in ("connection", "upgrade") for k in connect.event["headers"])
    ws.close()


@pytest.mark.parametrize("answer, status", [
    (policy(effect="Deny"), 403),
    (policy(resource="arn:aws:execute-api:us-east-1:123456789012:otherapi1/local/$connect"), 403),
    (policy(action="execute-api:ManageConnections"), 403),
    ({"principalId": "x"}, 500),
    ({"principalId": "x", "policyDocument": {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}},
     500),
    (policy(context={"nested": {"a": 1}}), 500),
    ("not json", 500),
    ({"errorMessage": "Unauthorized"}, 401),
], ids=["deny", "other-resource", "other-action", "no-policy", "bad-effect", "nested-context", "garbage",
        "unauthorized-document"])
def test_authorizer_answers(wsgate, backend, authz, answer, status):
    authz.set_answer("$connect", body=answer)
    server = wsgate(config=authorizer_config(backend, authz))
    assert wsclient.handshake_status(server.ws_url(), headers=["Authorization: x"]) == status
    assert backend.events("$connect") == []          # $connect integration never ran


@pytest.mark.parametrize("http_status", [401, 403, 500])
def test_http_authorizer_status(wsgate, backend, authz, http_status):
    authz.set_answer("$connect", status=http_status, body={"message": "nope"})
    server = wsgate(config=authorizer_config(backend, authz))
    assert wsclient.handshake_status(server.ws_url(), headers=["Authorization: x"]) == http_status


# inferred: AWS-AUTH-13 (wsgate's choice, not a capture of AWS)
def test_authorizer_unreachable_is_500(wsgate, backend, unused_port):
    config = {"authorizer": {"uri": f"http://127.0.0.1:{unused_port}/auth"},
              "routes": {"$connect": {"uri": backend.url("/connect")}}}
    server = wsgate(config=config)
    assert wsclient.handshake_status(server.ws_url()) == 500


@pytest.mark.parametrize("headers", [[], ["Authorization: "]], ids=["absent", "empty"])
def test_missing_identity_source_401_without_call(wsgate, backend, authz, headers):
    authz.set_answer("$connect", body=policy())
    server = wsgate(config=authorizer_config(backend, authz))
    assert wsclient.handshake_status(server.ws_url(), headers=headers) == 401
    time.sleep(0.2)
    assert authz.records == []


@pytest.mark.parametrize("resource, status", [
    ("arn:aws:execute-api:us-east-1:123456789012:{api}/local/*/*", 403),   # powertools #5800
    ("arn:aws:execute-api:us-east-1:123456789012:{api}/local/*", 101),
    ("arn:aws:execute-api:us-east-1:123456789012:{api}/*", 101),
    ("arn:aws:execute-api:*:*:{api}/*/$connect", 101),
    ("arn:aws:execute-api:us-east-1:123456789012:{api}/local/$connect", 101),
    ("arn:aws:execute-api:us-east-1:123456789012:{api}/prod/*", 403),
], ids=["stage-star-star", "stage-star", "api-star", "any-region-stage", "exact", "other-stage"])
def test_resource_wildcards(wsgate, backend, authz, resource, status):
    config = authorizer_config(backend, authz, apiId="abcde12345")
    authz.set_answer("$connect", body=policy(resource=[resource.format(api="abcde12345")]))
    server = wsgate(config=config)
    assert wsclient.handshake_status(server.ws_url(), headers=["Authorization: x"]) == status


def test_deny_wins_over_allow(wsgate, backend, authz):
    doc = policy()
    doc["policyDocument"]["Statement"].append({"Action": "execute-api:*", "Effect": "Deny",
                                               "Resource": "arn:aws:execute-api:*"})
    authz.set_answer("$connect", body=doc)
    server = wsgate(config=authorizer_config(backend, authz))
    assert wsclient.handshake_status(server.ws_url(), headers=["Authorization: x"]) == 403


def test_browser_client_token_in_query(wsgate, backend, authz):
    """Browsers cannot set handshake headers: the token travels as ?token=."""
    authz.set_answer("$connect", body=policy(principal="browser-user"))
    config = authorizer_config(backend, authz, identity=("route.request.querystring.token",))
    server = wsgate(config=config)
    assert wsclient.handshake_status(server.ws_url()) == 401
    ws = wsclient.connect(server.ws_url(query="token=abc%3D"), headers=["Origin: http://localhost:8080"])
    record = authz.wait_for(lambda r: True)[0]
    assert record.event["queryStringParameters"] == {"token": "abc="}
    assert record.event["multiValueQueryStringParameters"] == {"token": ["abc="]}
    connect = backend.wait_for_event("$connect")
    assert connect.context["authorizer"] == {"principalId": "browser-user"}
    assert connect.event["queryStringParameters"] == {"token": "abc="}
    ws.close()


# ---- Lambda REQUEST authorizer through the Invoke API -------------------------------------------

def lambda_authorizer_config(backend, lam):
    return {"authorizer": {"integration": "lambda", "uri": lam.url, "function": "authorizer",
                           "identitySource": "route.request.header.Authorization"},
            "routes": {"$connect": {"uri": backend.url("/connect"), "authorizationType": "CUSTOM"},
                       "$default": {"uri": backend.url("/default")}}}


def test_lambda_authorizer_allow(wsgate, backend, lam):
    lam.add_function("authorizer", lambda event: policy(
        resource=event["methodArn"], context={"user": event["headers"]["Authorization"]}))
    server = wsgate(config=lambda_authorizer_config(backend, lam))
    ws = wsclient.connect(server.ws_url(), headers=["Authorization: alice"])
    connect = backend.wait_for_event("$connect")
    assert connect.context["authorizer"] == {"principalId": "user-1", "user": "alice"}
    inv = lam.calls("authorizer")[0]
    assert inv.path == "/2015-03-31/functions/authorizer/invocations"
    assert inv.auth is not None and inv.auth["service"] == "lambda"
    assert list(inv.event) == AUTHORIZER_KEYS
    ws.close()


def test_lambda_authorizer_unauthorized_is_401(wsgate, backend, lam):
    def handler(event):
        raise Exception("Unauthorized")
    lam.add_function("authorizer", handler)
    server = wsgate(config=lambda_authorizer_config(backend, lam))
    assert wsclient.handshake_status(server.ws_url(), headers=["Authorization: bad"]) == 401


def test_lambda_authorizer_crash_is_500(wsgate, backend, lam):
    def handler(event):
        raise KeyError("boom")
    lam.add_function("authorizer", handler)
    server = wsgate(config=lambda_authorizer_config(backend, lam))
    assert wsclient.handshake_status(server.ws_url(), headers=["Authorization: x"]) == 500


# ---- IAM -----------------------------------------------------------------------------------------

def presign(port, akid, secret, region="us-east-1", query=""):
    url = f"http://127.0.0.1:{port}/local" + ("?" + query if query else "")
    request = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(Credentials(akid, secret), "execute-api", region, expires=60).add_auth(request)
    return "ws://" + request.url[len("http://"):]


def iam_config(backend):
    return {"routes": {"$connect": {"uri": backend.url("/connect"), "authorizationType": "AWS_IAM"},
                       "$default": {"uri": backend.url("/default")},
                       "$disconnect": {"uri": backend.url("/disconnect")}}}


# inferred: AWS-AUTH-18, AWS-QS-8 (wsgate's choice, not a capture of AWS)
def test_iam_presigned_url_ok_identity(wsgate, backend):
    server = wsgate("--auth", "strict", "--credentials", "AKIDIAMTEST:iamsecret", config=iam_config(backend))
    ws = wsclient.connect(presign(server.port, "AKIDIAMTEST", "iamsecret", query="room=1"))
    connect = backend.wait_for_event("$connect")
    identity = connect.context["identity"]
    assert identity["accessKey"] == "AKIDIAMTEST"
    assert identity["accountId"] == "123456789012"
    assert identity["caller"] == "AKIDIAMTEST" and identity["user"] == "AKIDIAMTEST"
    assert identity["userArn"] == "arn:aws:iam::123456789012:user/AKIDIAMTEST"
    assert identity["sourceIp"] == "127.0.0.1"
    assert list(identity) == [k for k in ["userArn", "userAgent", "accountId", "caller", "sourceIp", "accessKey",
                                          "user"] if k in identity]
    # documented choice: the presign parameters stay in the query maps (AWS: unknown)
    assert connect.event["queryStringParameters"]["room"] == "1"
    assert "X-Amz-Signature" in connect.event["queryStringParameters"]
    assert "authorizer" not in connect.context
    ws.send("hi")
    assert backend.wait_for_event("$default").context["identity"]["accessKey"] == "AKIDIAMTEST"
    ws.close()
    assert backend.wait_for_event("$disconnect").context["identity"]["accessKey"] == "AKIDIAMTEST"


def test_iam_any_key_in_sigv4_mode(wsgate, backend):
    server = wsgate(config=iam_config(backend))
    ws = wsclient.connect(presign(server.port, "AKIDANYKEY", "whatever"))
    assert backend.wait_for_event("$connect").context["identity"]["accessKey"] == "AKIDANYKEY"
    ws.close()


# inferred: AWS-AUTH-17 (wsgate's choice, not a capture of AWS)
def test_iam_failures_are_403(wsgate, backend):
    server = wsgate("--auth", "strict", "--credentials", "AKIDIAMTEST:iamsecret", config=iam_config(backend))
    assert wsclient.handshake_status(server.ws_url()) == 403                          # unsigned
    assert wsclient.handshake_status(presign(server.port, "AKIDIAMTEST", "wrong")) == 403
    assert wsclient.handshake_status(presign(server.port, "AKIDUNKNOWN", "iamsecret")) == 403
    url = presign(server.port, "AKIDIAMTEST", "iamsecret")
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert wsclient.handshake_status(tampered) == 403
    assert backend.events("$connect") == []


# ---- API keys ------------------------------------------------------------------------------------

def api_key_config(backend):
    return {"apiKeys": ["key-one-0123456789abcdef", "key-two"],
            "routes": {"$connect": {"uri": backend.url("/connect"), "apiKeyRequired": True},
                       "$default": {"uri": backend.url("/default")}}}


@pytest.mark.parametrize("headers, status", [
    (["x-api-key: key-one-0123456789abcdef"], 101),
    (["X-API-Key: key-two"], 101),
    ([], 403),
    (["x-api-key: key-three"], 403),
    (["x-api-key: "], 403),
], ids=["ok", "ok-any-case", "missing", "wrong", "empty"])
# inferred: AWS-AUTH-20, AWS-AUTH-21 (wsgate's choice, not a capture of AWS)
def test_api_keys(wsgate, backend, headers, status):
    server = wsgate(config=api_key_config(backend))
    assert wsclient.handshake_status(server.ws_url(), headers=headers) == status


# inferred: AWS-AUTH-20, AWS-AUTH-21 (wsgate's choice, not a capture of AWS)
def test_api_key_checked_after_authorizer(wsgate, backend, authz):
    authz.set_answer("$connect", body=policy())
    config = authorizer_config(backend, authz, apiKeys=["k1"])
    config["routes"]["$connect"]["apiKeyRequired"] = True
    server = wsgate(config=config)
    assert wsclient.handshake_status(server.ws_url(), headers=["Authorization: x"]) == 403
    assert wsclient.handshake_status(server.ws_url(), headers=["Authorization: x", "x-api-key: k1"]) == 101
