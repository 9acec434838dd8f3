"""Stored records: the versioned JSON envelope, and reading it back without ever crashing.

Every record the store reads goes through `decode`. A record that is not JSON, has an
unknown version, or whose fields are missing or of the wrong type is logged with its key
and set aside (the caller treats it as missing), so one bad record never stops a command or
makes a due job retry until it is buried.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import types
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

log = logging.getLogger(__name__)

VERSION = 1  # relationships, aggregates, practitioners, digest schedules; check-ins before v2
CHECKIN_VERSION = 2  # the compact check-in (CheckIn.to_compact); version 1 is still read
VERSIONS = frozenset({1, 2})

T = TypeVar("T")

# What reading a damaged record can raise: bad JSON and values (ValueError, UnicodeError),
# missing fields (KeyError, TypeError), wrong shapes (TypeError, AttributeError), times out
# of range (OverflowError, OSError from fromtimestamp).
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, OverflowError, OSError)


def dump(data: Mapping[str, Any], version: int = VERSION) -> str:
    return json.dumps({"v": version, "data": data}, separators=(",", ":"), ensure_ascii=False)


def envelope(raw: str) -> tuple[int, dict[str, Any]]:
    """(version, data) of a stored record; raises if it is not one."""
    outer = json.loads(raw)
    if not isinstance(outer, dict):
        raise ValueError("not a record envelope")
    version = outer.get("v")
    if version not in VERSIONS or isinstance(version, bool):
        raise ValueError(f"unknown record version {version!r}")
    data = outer["data"]
    if not isinstance(data, dict):
        raise ValueError("record data is not an object")
    return version, data


def decode(raw: str | None, key: str, read: Callable[[int, dict[str, Any]], T]) -> T | None:
    """`read(version, data)` of the record at `key`; None if it is missing, and None (logged
    with the key and the error) if it cannot be read."""
    if raw is None:
        return None
    try:
        return read(*envelope(raw))
    except UNREADABLE as e:
        log.warning("corrupt record set aside: key=%s error=%s", key, e)
        return None


def load(raw: str | None, key: str) -> dict[str, Any] | None:
    """The record's data, or None (logged) if it is missing or cannot be read."""
    return decode(raw, key, lambda _v, data: data)


# --- field types: a record whose fields do not have their declared types is not read ------
@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def checked(record: T) -> T:
    """`record` (a dataclass) if every field holds its declared type, nested ones too."""
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        _check(getattr(record, f.name), _hints(type(record))[f.name], f.name)
    return record


def _check(value: Any, hint: Any, name: str) -> None:
    if not _fits(value, hint, name):
        raise TypeError(f"field {name!r}: {type(value).__name__} {value!r:.40} is not {hint}")


def _fits(value: Any, hint: Any, name: str) -> bool:  # noqa: PLR0911 - one case per kind
    origin = get_origin(hint)
    if hint is Any:
        return True
    if origin is Union or origin is types.UnionType:
        return any(_fits(value, h, name) for h in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint in (str, datetime):
        return isinstance(value, hint)
    if origin is tuple:
        item = get_args(hint)[0]
        return isinstance(value, tuple) and all(_fits(v, item, name) for v in value)
    if origin is Mapping or origin is dict:
        k, v = get_args(hint)
        return isinstance(value, Mapping) and all(
            _fits(a, k, name) and _fits(b, v, name) for a, b in value.items()
        )
    if dataclasses.is_dataclass(hint):
        return isinstance(value, hint) and checked(value) is value
    return isinstance(value, hint)


__all__ = [
    "CHECKIN_VERSION",
    "UNREADABLE",
    "VERSION",
    "checked",
    "decode",
    "dump",
    "envelope",
    "load",
]
