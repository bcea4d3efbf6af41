"""Management API (@connections) calls, signed with botocore's SigV4Auth.

The default auth mode of wsgate accepts any well-formed current SigV4 signature (README.md, "Management API"), so a
fixed example key is enough. Requests go out through http.client so the path is sent exactly as
given (the connection id percent-encoded once, `=` -> `%3D`, as every SDK does; AWS-MGMT-6).
"""
import http.client
import urllib.parse
from unittest import mock
from dataclasses import dataclass

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"


@dataclass
class Response:
    status: int
    headers: object   # http.client.HTTPMessage (case-insensitive get)
    body: bytes

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        import json
        return json.loads(self.body)


def connection_path(connection_id, stage="local", at="@"):
    """`/{stage}/@connections/{id}` with the id percent-encoded (all reserved characters)."""
    prefix = f"/{stage}" if stage else ""
    return f"{prefix}/{at}connections/{urllib.parse.quote(connection_id, safe='')}"


def raw_request(port, method, path, body=b"", headers=None, sign=True, timeout=10.0,
                credentials=(ACCESS_KEY, SECRET_KEY), signed_at=None, region=REGION):
    """Send one HTTP request to wsgate on 127.0.0.1:port; sign it with SigV4 unless sign=False.
    `signed_at` (an aware datetime) signs as if the clock showed that time."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    host = f"127.0.0.1:{port}"
    all_headers = {"Host": host}
    all_headers.update(headers or {})
    if sign:
        request = AWSRequest(method=method, url=f"http://{host}{path}", data=body, headers=all_headers)
        signer = SigV4Auth(Credentials(*credentials), "execute-api", region)
        if signed_at is None:
            signer.add_auth(request)
        else:
            with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
                signer.add_auth(request)
        all_headers = dict(request.headers.items())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        send_body = body if (body or method in ("POST", "PUT")) else None
        conn.request(method, path, body=send_body, headers=all_headers)
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def post(port, connection_id, data, stage="local", **kw):
    return raw_request(port, "POST", connection_path(connection_id, stage), data, **kw)


def get(port, connection_id, stage="local", **kw):
    return raw_request(port, "GET", connection_path(connection_id, stage), **kw)


def delete(port, connection_id, stage="local", **kw):
    return raw_request(port, "DELETE", connection_path(connection_id, stage), **kw)


def boto3_client(port, stage="local", credentials=(ACCESS_KEY, SECRET_KEY), region=REGION,
                 endpoint=None):
    """A real boto3 apigatewaymanagementapi client pointed at wsgate (no retries); `endpoint`
    replaces http://127.0.0.1:{port}/{stage}."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint or f"http://127.0.0.1:{port}/{stage}",
        region_name=region,
        aws_access_key_id=credentials[0],
        aws_secret_access_key=credentials[1],
        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                      connect_timeout=5, read_timeout=10),
    )
