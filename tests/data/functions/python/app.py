"""A Python handler using boto3 to call back PostToConnection (tests/e2e/test_functions.py)."""
import json
import logging
import os
import time

import boto3

logger = logging.getLogger()


def handler(event, context):
    ctx = event["requestContext"]
    route, connection_id = ctx["routeKey"], ctx["connectionId"]
    print(f"route {route} connection {connection_id}")
    if route in ("$connect", "$disconnect"):
        return {"statusCode": 200}
    body = json.loads(event.get("body") or "{}")
    client = boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}")  # TLS, same port
    action = body.get("op") or body.get("action")
    if action == "echo":
        logger.warning("echoing %s", body.get("message"))
        client.post_to_connection(ConnectionId=connection_id, Data=json.dumps({
            "runtime": "python", "echo": body.get("message"), "requestId": context.aws_request_id,
            "functionName": context.function_name, "remaining": context.get_remaining_time_in_millis(),
            "pid": os.getpid()}).encode())
        return {"statusCode": 200}
    if action == "sleep":
        time.sleep(body["ms"] / 1000)
        return {"statusCode": 200, "body": json.dumps({"slept": body["ms"]})}
    if action == "throw":
        raise ValueError("python boom")
    return {"statusCode": 200, "body": json.dumps({"runtime": "python", "unknown": action})}
