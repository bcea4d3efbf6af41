"""Fixtures for the AWS CLI tests. wsgate must already be running; sdk-tests/run.sh starts it
and exports WSGATE_URL, WSGATE_STAGE, WSGATE_AUTH, WSGATE_ACCESS_KEY_ID, WSGATE_SECRET_ACCESS_KEY."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pyshared"))
from wsgate_sdk import Peer, gate_settings  # noqa: E402  (shared with the other Python suite)

USER_AGENT = "wsgate-sdk-tests/cli"


@pytest.fixture(scope="session")
def gate():
    return gate_settings()


@pytest.fixture
def peer(gate):
    p = Peer(gate, USER_AGENT)
    yield p
    p.close()
