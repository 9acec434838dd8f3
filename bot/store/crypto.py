"""Free-text answers encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256)."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

ENCRYPTED = "fernet:"
PLAIN = "plain:"


class TextCipher:
    """Encrypts with the first key; decrypts with any (so keys can be rotated)."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])

    def __repr__(self) -> str:
        return "TextCipher(<keys hidden>)"

    def seal(self, plain: str) -> str:
        return ENCRYPTED + self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        if sealed.startswith(PLAIN):
            return sealed[len(PLAIN) :]
        if not sealed.startswith(ENCRYPTED):
            return sealed
        try:
            return self._fernet.decrypt(sealed[len(ENCRYPTED) :].encode()).decode("utf-8")
        except InvalidToken:
            return "(unreadable: encrypted with a key this server no longer has)"


class PlainText:
    """Used only when plaintext is explicitly allowed (RAPPORT_ALLOW_PLAINTEXT=1)."""

    def seal(self, plain: str) -> str:
        return PLAIN + plain

    def open(self, sealed: str) -> str:
        return sealed[len(PLAIN) :] if sealed.startswith(PLAIN) else sealed


def demo_key(data_dir: Path) -> str:
    """The demo's key: generated once into the data directory, readable only by its owner."""
    path = data_dir / "encryption.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    path.write_text(key)
    path.chmod(0o600)
    return key


def validate_key(keys: str) -> str | None:
    """None if every comma-separated key is a valid Fernet key, else what is wrong."""
    try:
        TextCipher(keys)
    except (ValueError, TypeError):
        return "RAPPORT_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes)"
    return None
