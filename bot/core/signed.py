"""Signed, expiring tokens for the paths the bot hands out (client links, chart images).

A token is `<claims>.<mac>`, both base64url without padding: the claims are compact JSON with
the purpose and an expiry (Unix seconds), the MAC is HMAC-SHA256 over the purpose and the
claims. The purpose is part of what is signed, so a chart token never opens a client page.
Pure: the secret and the time are passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime


class BadToken(ValueError):
    """Altered, forged, malformed or for another purpose: answer 404."""


class ExpiredToken(ValueError):
    """Genuine but past its expiry: answer 410."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Signer:
    secret: bytes = field(repr=False)

    def _mac(self, purpose: str, body: str) -> str:
        msg = f"{purpose}.{body}".encode()
        return _b64(hmac.new(self.secret, msg, hashlib.sha256).digest())

    def sign(self, purpose: str, claims: dict, expires: datetime) -> str:
        payload = {**claims, "exp": int(expires.timestamp())}
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def verify(self, purpose: str, token: str, now: datetime) -> dict:
        """The claims (without `exp`) of a genuine, unexpired token."""
        body, dot, mac = token.partition(".")
        if not dot or len(token) > 2048:
            raise BadToken("malformed")
        if not hmac.compare_digest(mac.encode(), self._mac(purpose, body).encode()):
            raise BadToken("bad signature")
        try:
            claims = json.loads(_unb64(body))
            expires = int(claims.pop("exp"))
        except (ValueError, KeyError, TypeError):
            raise BadToken("malformed claims") from None
        if now.timestamp() >= expires:
            raise ExpiredToken("expired")
        return claims


def derive_secret(key_material: str, purpose: bytes = b"rapport signed paths v1") -> bytes:
    """A signing secret derived from another secret (the encryption key), so one variable
    is enough and the two uses never share a key."""
    return hmac.new(key_material.encode(), purpose, hashlib.sha256).digest()


def expires_at(token: str) -> datetime:
    """The expiry of a token already verified (raises BadToken if it is malformed)."""
    try:
        exp = json.loads(_unb64(token.partition(".")[0]))["exp"]
        return datetime.fromtimestamp(int(exp), UTC)
    except (ValueError, KeyError, TypeError):
        raise BadToken("malformed claims") from None
