"""message of tests/data/config/functions/serverless/serverless.yml: echoes the body."""


def message(event, context):
    return {"statusCode": 200, "body": event.get("body") or ""}
