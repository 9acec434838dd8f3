"""A real headless Chromium (Debian's) for tests of the pages the bot serves.

Under CI=true a missing browser fails the run; elsewhere the browser tests skip with the
command that installs it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("RAPPORT_CHROMIUM", "/usr/bin/chromium"))
PHONE = {"width": 375, "height": 667}
# This machine's network is closed: without these Chromium floods it with refused connections.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: apt-get install chromium (make test does this as root)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@asynccontextmanager
async def chromium_page(
    viewport: dict[str, int] | None = None, javascript: bool = True
) -> AsyncIterator[object]:
    """A fresh page in a fresh profile; phone-sized unless told otherwise."""
    require_chromium()
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as profile:
        async with async_playwright() as pw:
            context = await pw.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=FLAGS,
                viewport=viewport or PHONE,
                java_script_enabled=javascript,
            )
            try:
                yield context.pages[0] if context.pages else await context.new_page()
            finally:
                await context.close()
