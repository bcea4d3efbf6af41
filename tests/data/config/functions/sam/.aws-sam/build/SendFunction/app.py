"""sendmessage of tests/data/config/functions/sam/template.yaml: answers with the body it got."""


def handler(event, context):
    return {"statusCode": 200, "body": event.get("body") or ""}
