"""Drives a running wsgate (the relocatable dist in a bare container): a WebSocket round trip through
the built-in demo backend (which itself makes a signed PostToConnection with libcurl), then a
SigV4-signed PostToConnection from boto3 that the client must receive, and an unknown key rejected
(--auth strict). argv: BASE_URL (http://127.0.0.1:PORT) STAGE AKID SECRET"""
import json
import sys

import boto3
import botocore
import websocket
from botocore.config import Config

base, stage, akid, secret = sys.argv[1:5]
failures = 0


def check(cond, what):
    global failures
    print(("  ok   " if cond else "  FAIL ") + what, flush=True)
    failures += 0 if cond else 1


def mgmt(key_id, key):
    return boto3.client("apigatewaymanagementapi", endpoint_url=f"{base}/{stage}", region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=key,
                        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10))


ws = websocket.create_connection(base.replace("http", "ws", 1) + f"/{stage}", timeout=10)
ws.send(json.dumps({"action": "echo", "message": "round trip"}))
echo = ws.recv()
check("round trip" in echo, f"WebSocket round trip through the demo backend ({echo[:80]!r})")

import urllib.request
ids = json.load(urllib.request.urlopen(f"{base}/_wsgate/connections", timeout=5))["connections"]
check(len(ids) == 1, f"one connection listed ({ids})")
mgmt(akid, secret).post_to_connection(ConnectionId=ids[0], Data=b"signed push")
got = ws.recv()
check(got == "signed push", f"client received the signed PostToConnection ({got!r})")
try:
    mgmt("AKIDNOTKNOWN", "nope").post_to_connection(ConnectionId=ids[0], Data=b"x")
    check(False, "an unknown key is rejected")
except botocore.exceptions.ClientError as e:
    check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 403, "an unknown key is rejected (403)")
ws.close()
sys.exit(1 if failures else 0)
