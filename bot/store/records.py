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
# A checker is built once per type (the digest checks thousands of aggregates per run).
Check = Callable[[Any], bool]


def checked(record: T) -> T:
    """`record` (a dataclass) if every field holds its declared type, nested ones too."""
    for name, check in _fields(type(record)):
        value = getattr(record, name)
        if not check(value):
            hint = get_type_hints(type(record))[name]
            raise TypeError(f"field {name!r}: {type(value).__name__} {value!r:.40} is not {hint}")
    return record


def _fits(record: Any) -> bool:
    for name, check in _fields(type(record)):  # noqa: SIM110 - a loop is faster here
        if not check(getattr(record, name)):
            return False
    return True


@cache
def _fields(cls: type) -> tuple[tuple[str, Check], ...]:
    hints = get_type_hints(cls)
    return tuple((f.name, _checker(hints[f.name])) for f in dataclasses.fields(cls))


def _is_int(v: Any) -> bool:
    return type(v) is int


def _is_str(v: Any) -> bool:
    return type(v) is str


def _is_float(v: Any) -> bool:
    return type(v) is float or type(v) is int


@cache
def _checker(hint: Any) -> Check:  # noqa: PLR0911 - one case per kind of type
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return lambda v: True
    if origin is Union or origin is types.UnionType:
        rest = tuple(_checker(a) for a in args if a is not type(None))
        if len(rest) == 1 and len(args) == 2:  # X | None, the common case
            one = rest[0]
            return lambda v: v is None or one(v)
        checks = tuple(_checker(a) for a in args)
        return lambda v: any(c(v) for c in checks)
    if hint is type(None):
        return lambda v: v is None
    if hint is int:
        return _is_int
    if hint is float:
        return _is_float
    if hint is str:
        return _is_str
    if origin is tuple:
        item = _checker(args[0])
        return lambda v: isinstance(v, tuple) and all(map(item, v))
    if origin is Mapping or origin is dict:
        key, val = _checker(args[0]), _checker(args[1])
        if args[1] is Any:
            return lambda v: isinstance(v, Mapping) and all(map(key, v))
        return lambda v: isinstance(v, Mapping) and all(map(key, v)) and all(map(val, v.values()))
    if dataclasses.is_dataclass(hint):
        return lambda v: isinstance(v, hint) and _fits(v)
    if hint is bool:
        return lambda v: v is True or v is False
    return lambda v: isinstance(v, hint)  # datetime, and any other class


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
