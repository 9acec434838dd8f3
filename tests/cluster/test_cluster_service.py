"""Every service use case of tests/test_service.py, on a three-master Redis Cluster."""

from tests.test_service import *  # noqa: F403 - the same tests, with the cluster `redis`
