import boto3  # the interpreter used for this function has no boto3


def handler(event, context):
    return {"statusCode": 200}
