"""bench/functions.sh: echoes each message back to its sender through PostToConnection (boto3)."""
import boto3

_clients = {}
# Loaded at init (not billed, not under the Timeout), as Lambda's best practice says: botocore's
# service model is the slow part of the first client.
boto3.client("apigatewaymanagementapi", endpoint_url="http://127.0.0.1", region_name="us-east-1")


def handler(event, context):
    ctx = event["requestContext"]
    endpoint = f"http://{ctx['domainName']}/{ctx['stage']}"
    client = _clients.get(endpoint)
    if client is None:
        client = _clients[endpoint] = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    client.post_to_connection(ConnectionId=ctx["connectionId"], Data=event["body"].encode())
    return {"statusCode": 200}
