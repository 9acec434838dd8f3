"""Where the Teams channel may send: only to a Bot Framework service URL a verified activity
named.

With credentials, botbuilder verifies every activity's JWT, including that its
`serviceurl` claim equals the activity's `serviceUrl`; conversation references are
remembered only from such turns, and a stored one must still be HTTPS (every Bot Framework
service URL is). In local mode nothing is verified, so the server listens on loopback only
and every service URL, inbound or stored, must be a loopback address too: an activity that
names any other host is refused before the bot does anything with it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"localhost"}


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and is_loopback_host(parts.hostname)
    except ValueError:
        return False


@dataclass(frozen=True)
class ServiceUrls:
    """Which service URLs outbound calls may go to."""

    local_mode: bool

    def allows(self, url: object) -> bool:
        if not isinstance(url, str) or not url:
            return False
        if self.local_mode:
            return is_loopback_url(url)
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        return parts.scheme == "https" and bool(parts.hostname)
