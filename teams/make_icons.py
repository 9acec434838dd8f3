"""Writes color.png (192x192) and outline.png (32x32, white on transparent) for the Teams
app package, with the standard library only: `python teams/make_icons.py`."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def png(width: int, height: int, pixel) -> bytes:
    """RGBA PNG; `pixel(x, y)` returns (r, g, b, a)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def two_rings(size: int, x: int, y: int) -> bool:
    """Two overlapping rings: two people in a relationship."""
    c = size / 2
    r, w = size * 0.22, max(1.5, size * 0.06)
    for cx in (c - size * 0.12, c + size * 0.12):
        d = ((x + 0.5 - cx) ** 2 + (y + 0.5 - c) ** 2) ** 0.5
        if abs(d - r) <= w / 2:
            return True
    return False


def color(x: int, y: int) -> tuple[int, int, int, int]:
    if two_rings(192, x, y):
        return (255, 255, 255, 255)
    return (46, 110, 142, 255)  # a calm teal-blue, full bleed as Teams asks


def outline(x: int, y: int) -> tuple[int, int, int, int]:
    return (255, 255, 255, 255) if two_rings(32, x, y) else (0, 0, 0, 0)


if __name__ == "__main__":
    (HERE / "color.png").write_bytes(png(192, 192, color))
    (HERE / "outline.png").write_bytes(png(32, 32, outline))
