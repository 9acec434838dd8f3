"""Prometheus metrics, named once."""

from prometheus_client import Counter, Gauge, Histogram

COMMANDS = Counter("rapport_commands_total", "Commands handled", ["command", "outcome"])
CHECKINS_SUBMITTED = Counter("rapport_checkins_submitted_total", "Check-ins and reviews answered")
DUE_HANDLED = Counter("rapport_due_jobs_total", "Due jobs handled by the worker")
DRIFT_NUDGES = Counter("rapport_drift_nudges_total", "Drift nudges sent")
COMMAND_SECONDS = Histogram("rapport_command_seconds", "Time to answer a command")
CLOCK_SKEW = Gauge("rapport_clock_skew_seconds", "This worker's clock minus Redis's TIME")
CHART_SECONDS = Histogram(
    "rapport_chart_draw_seconds", "Time to draw a chart (cache misses only)", ["kind"]
)
