#!/usr/bin/env python3
"""Generates execute-api SigV4 vectors with the real botocore signer (tests/unit/test_sigv4.c).

Every case is a request exactly as the SDK would put it on the wire (method, raw path, raw query,
headers in order, body), plus the canonical request and string to sign botocore computed. The
clock is pinned, so the output is reproducible:

    python3 tests/data/sigv4-execute-api/generate.py > tests/data/sigv4-execute-api/cases.json

Cases come from two places: boto3's own apigatewaymanagementapi client (the request is captured in
the `before-send` hook and never sent), and botocore's SigV4Auth / SigV4QueryAuth used directly for
shapes the client cannot make (JS-v3-style extra signed headers, presigned $connect URLs).
"""
import datetime
import hashlib
import json
import logging
import sys
import uuid
from unittest import mock
from urllib.parse import urlsplit

import boto3
import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2024, 1, 15, 12, 0, 0)  # 20240115T120000Z
ACCESS_KEY = "AKIAWSGATETEST000001"
SECRET_KEY = "wsgate/Test+Secret/K7MDENGbPxRfiCYEXAMPLE"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token="
REGION = "us-east-1"
SERVICE = "execute-api"
ENDPOINT = "http://127.0.0.1:3001/local"
CONN_ID = "L0SM9cOFvHcCIhw="

cases = []
captured = {}


class Captured(Exception):
    pass


class DebugCapture(logging.Handler):
    """botocore logs the canonical request and string to sign at debug level."""

    def emit(self, record):
        if record.msg == "CanonicalRequest:\n%s":
            captured["creq"] = record.args[0]
        elif record.msg == "StringToSign:\n%s":
            captured["sts"] = record.args[0]


auth_logger = logging.getLogger("botocore.auth")
auth_logger.setLevel(logging.DEBUG)
auth_logger.addHandler(DebugCapture())
auth_logger.propagate = False


def text(v):
    return v.decode("latin-1") if isinstance(v, bytes) else str(v)


def add_case(name, method, url, headers, body, note, presigned=False, service=SERVICE,
             kind="verify"):
    parts = urlsplit(url)
    cases.append(
        {
            "name": name,
            "note": note,
            "method": method,
            "path": parts.path,
            "query": parts.query,
            "headers": [[text(k), text(v)] for k, v in headers],
            "body": text(body or b""),
            "now": NOW.strftime("%Y%m%dT%H%M%SZ"),
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "service": service,
            "region": REGION,
            "kind": kind,
            "presigned": presigned,
            "canonical_request": captured.pop("creq"),
            "string_to_sign": captured.pop("sts"),
        }
    )


def client_case(name, operation, note, token=None, **kwargs):
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, aws_session_token=token
    )
    client = session.client("apigatewaymanagementapi", endpoint_url=ENDPOINT, region_name=REGION)

    def before_send(request, **_):
        # The HTTP layer adds Host when sending (botocore signed the URL's netloc); the User-Agent
        # (unsigned) names the machine's kernel, so it is pinned for reproducible output.
        headers = [("Host", urlsplit(request.url).netloc)]
        for k, v in request.headers.items():
            headers.append((k, "Boto3/" + boto3.__version__ if k.lower() == "user-agent" else v))
        add_case(name, request.method, request.url, headers, request.body, note)
        raise Captured()

    client.meta.events.register("before-send", before_send)
    try:
        getattr(client, operation)(**kwargs)
    except Captured:
        pass


def direct_case(name, method, url, headers, body, note, token=None, presign_expires=None,
                service=SERVICE, kind="verify"):
    creds = Credentials(ACCESS_KEY, SECRET_KEY, token)
    request = AWSRequest(method=method, url=url, headers=headers, data=body)
    if presign_expires is None:
        botocore.auth.SigV4Auth(creds, service, REGION).add_auth(request)
    else:
        botocore.auth.SigV4QueryAuth(creds, service, REGION, expires=presign_expires).add_auth(
            request)
    prepared = request.prepare()
    wire_headers = list(prepared.headers.items())
    if not any(k.lower() == "host" for k, _ in wire_headers):
        wire_headers.insert(0, ("Host", urlsplit(prepared.url).netloc))
    add_case(name, method, prepared.url, wire_headers, prepared.body, note,
             presigned=presign_expires is not None, service=service, kind=kind)


FIXED_UUID = uuid.UUID("0f5a4d2e-1b61-4b5c-9a51-2d3c1e0e9a77")
with mock.patch("botocore.auth.get_current_datetime", return_value=NOW), \
        mock.patch("uuid.uuid4", return_value=FIXED_UUID):
    client_case("boto3-post-to-connection", "post_to_connection",
                "boto3 PostToConnection: POST with body, id '=' sent as %3D",
                ConnectionId=CONN_ID, Data=b"hello")
    client_case("boto3-get-connection", "get_connection", "boto3 GetConnection: GET, no body",
                ConnectionId=CONN_ID)
    client_case("boto3-delete-connection", "delete_connection",
                "boto3 DeleteConnection: DELETE, no body", ConnectionId=CONN_ID)
    client_case("boto3-post-session-token", "post_to_connection",
                "boto3 with temporary credentials: x-amz-security-token signed",
                token=SESSION_TOKEN, ConnectionId="ab/c+d=", Data=b'{"action":"send","n":1}')
    body = b"hello from js"
    direct_case(
        "jsv3-style-post",
        "POST",
        ENDPOINT + "/%40connections/L0SM9cOFvHcCIhw%3D",
        {
            "content-type": "application/octet-stream",
            "amz-sdk-invocation-id": "0f5a4d2e-1b61-4b5c-9a51-2d3c1e0e9a77",
            "amz-sdk-request": "attempt=1;   max=3",
            "x-amz-user-agent": "aws-sdk-js/3.1168.0",
            "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
        },
        body,
        "many signed headers, %40connections, x-amz-content-sha256, inner spaces collapsed",
    )
    direct_case("presigned-connect", "GET", ENDPOINT, {}, b"",
                "presigned $connect handshake URL, 300 s", presign_expires=300)
    direct_case("presigned-connect-query", "GET", ENDPOINT + "?room=lobby%201&token=a%2Bb%3D", {},
                b"", "presigned $connect with the app's own query parameters",
                presign_expires=900)
    direct_case("presigned-connect-token", "GET", ENDPOINT, {}, b"",
                "presigned $connect with a session token", token=SESSION_TOKEN,
                presign_expires=60)

    # What wg_sigv4_sign must reproduce: SDK-style signing of host;x-amz-content-sha256;x-amz-date
    # (+ x-amz-security-token), e.g. for the Lambda Invoke integration.
    invoke = b'{"requestContext":{"routeKey":"$default"},"body":"hi"}'
    lambda_url = ("https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/"
                  "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/invocations")
    direct_case("sign-lambda-invoke", "POST", lambda_url,
                {"X-Amz-Content-SHA256": hashlib.sha256(invoke).hexdigest()}, invoke,
                "Lambda Invoke signed like an SDK; ':' in the function ARN is %3A on the wire",
                service="lambda", kind="sign")
    direct_case("sign-lambda-invoke-token", "POST", lambda_url + "?Qualifier=live",
                {"X-Amz-Content-SHA256": hashlib.sha256(invoke).hexdigest()}, invoke,
                "Lambda Invoke with temporary credentials and a query", token=SESSION_TOKEN,
                service="lambda", kind="sign")
    direct_case("sign-execute-api-post", "POST", ENDPOINT + "/@connections/L0SM9cOFvHcCIhw%3D",
                {"X-Amz-Content-SHA256": hashlib.sha256(b"hello").hexdigest()}, b"hello",
                "the demo backend calling PostToConnection", kind="sign")

json.dump({"generator": "botocore " + botocore.__version__, "cases": cases}, sys.stdout,
          indent=2)
sys.stdout.write("\n")
