"""`make demo` as a newcomer runs it: the console on an embedded Redis, reading stdin."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_demo(tmp_path: Path, lines: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        input=lines,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "RAPPORT_DATA_DIR": str(tmp_path), **(env or {})},
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def test_a_week_in_the_demo(tmp_path):
    out = run_demo(tmp_path, "list\nhistory Sam\nadvance 7d\nlist\n")
    # the relationships, one line each
    for alias in ("Sam", "Client B", "Riley", "Jordan"):
        assert f"• {alias}" in out
    assert "drifting" in out and "midway review due now" in out
    # a history with a trend per group
    assert "== Sam: history ==" in out and "Power and influence: " in out
    # what the week brought: check-ins, a reminder, a nudge, a review and the digest
    week = out.split("> advance 7d", 1)[1]
    assert "Session 4 with Sam just ended" in week
    assert "A gentle nudge" in week
    assert "drifting toward transactional" in week
    assert "The midway review for Sam is due" in week
    assert "posted in #team" in week and "Team digest" in week
    assert "Client Q" not in week.split("posted in #team", 1)[1].split("DM to", 1)[0]


def test_answering_a_checkin_in_the_demo(tmp_path):
    out = run_demo(
        tmp_path,
        "advance 4h\npress 1\nanswer 4 5 4 5 | a clearer plan\n"
        "answer 9\nhistory Sam\nfrobnicate\nadvance soon\n",
    )
    assert "== Session check-in ==" in out
    assert "Check-in for session 4 with Sam saved" in out
    assert "4 of 8" in out
    assert "No check-in is open" in out  # the second answer: nothing left open
    assert "I don't know" in out and "Right form: `advance <n>d`" in out


def test_ctrl_c_ends_the_demo_at_once(tmp_path):
    """Ctrl-C while the demo waits for a line: it ends, without waiting for Enter."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo"],
        stdin=subprocess.PIPE,  # kept open: the demo is waiting for the next line
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "RAPPORT_DATA_DIR": str(tmp_path)},
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # until the demo shows its clock: it now reads input
            if line.startswith("It is "):
                break
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)  # a guard against a hang, not a measurement
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0
    assert "Traceback" not in proc.stderr.read()


def test_the_demo_history_keeps_its_sparklines_and_writes_its_chart(tmp_path):
    out = run_demo(tmp_path, "history Sam\n")
    assert "Overall: " in out  # the text sparklines stay
    (line,) = [x for x in out.splitlines() if x.strip().startswith("[chart] Sam")]
    path = Path(line.rsplit(": ", 1)[1])
    assert path.is_relative_to(tmp_path / "demo" / "charts") and path.suffix == ".png"
    assert path.read_bytes().startswith(b"\x89PNG")
