"""The Slack round trips (commands, check-in modal, reminders, digests) on Redis Cluster."""

from test_slack_checkin import *  # noqa: F403 - the same tests, with the cluster `redis`
from test_slack_commands import *  # noqa: F403
