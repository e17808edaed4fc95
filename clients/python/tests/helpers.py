"""Shared helpers of the tests."""

import os
import unittest
import uuid

from airlock_client import Client

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "standin")
CLIENT_DIR = os.path.dirname(HERE)


def server_client(test, **kwargs):
    """Returns a Client for the test server. Without AIRLOCK_URL and
    AIRLOCK_TOKEN the test is skipped, unless AIRLOCK_TEST_SERVER=1 says a
    server must be there (internal/clienttest sets it), when it fails."""
    url, token = os.environ.get("AIRLOCK_URL"), os.environ.get("AIRLOCK_TOKEN")
    if not url or not token:
        if os.environ.get("AIRLOCK_TEST_SERVER") == "1":
            test.fail("AIRLOCK_TEST_SERVER=1 but AIRLOCK_URL or AIRLOCK_TOKEN is not set")
        raise unittest.SkipTest("no airlock server: set AIRLOCK_URL and AIRLOCK_TOKEN (go test ./internal/clienttest does)")
    return Client(url, token, **kwargs)


def unique(prefix):
    """A fresh environment name."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])
