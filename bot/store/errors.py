"""The store's own error: what the layers above it catch, so none of them imports `redis`."""

from __future__ import annotations

import functools
import inspect
from typing import TypeVar

from redis.exceptions import RedisError

T = TypeVar("T", bound=type)


class StorageUnavailable(Exception):
    """Redis could not be reached or did not answer; nothing was changed by the failed call."""


def translated(cls: T) -> T:
    """Make every public coroutine method of `cls` raise StorageUnavailable (chained to the
    cause) where Redis or the socket under it fails."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.iscoroutinefunction(member):
            continue
        setattr(cls, name, _guard(member))
    return cls


def _guard(method):
    @functools.wraps(method)
    async def call(*args, **kwargs):
        try:
            return await method(*args, **kwargs)
        except (RedisError, OSError) as e:
            raise StorageUnavailable(str(e) or type(e).__name__) from e

    return call
