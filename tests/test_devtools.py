"""The local stand-ins start and answer."""

import boto3


def test_dynamodb_local_answers(dynamodb_local):
    client = boto3.client(
        "dynamodb",
        endpoint_url=dynamodb_local.endpoint,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    assert "TableNames" in client.list_tables()
