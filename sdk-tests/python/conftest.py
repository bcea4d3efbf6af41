"""Fixtures for the boto3 tests. wsgate must already be running; sdk-tests/run.sh starts it
and exports WSGATE_URL, WSGATE_STAGE, WSGATE_AUTH, WSGATE_ACCESS_KEY_ID, WSGATE_SECRET_ACCESS_KEY."""
import os
import sys

import boto3
import pytest
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pyshared"))
from wsgate_sdk import Peer, gate_settings  # noqa: E402  (shared with the other Python suite)

USER_AGENT = "wsgate-sdk-tests/python"


@pytest.fixture(scope="session")
def gate():
    return gate_settings()


def make_client(gate, secret=None, **config):
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=gate["endpoint"],
        region_name=gate["region"],
        aws_access_key_id=gate["key"],
        aws_secret_access_key=secret if secret is not None else gate["secret"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
    )


@pytest.fixture
def client(gate):
    return make_client(gate)


@pytest.fixture
def peer(gate):
    p = Peer(gate, USER_AGENT)
    yield p
    p.close()
