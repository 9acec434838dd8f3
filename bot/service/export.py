"""`export`: the caller's own data as one JSON file, built off the event loop.

Reading is done in chunks (one MGET per thousand check-ins, each a short await), and the
CPU work (decoding, opening encrypted texts, writing JSON) runs in a worker thread, one
check-in at a time, so a relationship with 10,000 check-ins never holds the loop (and with
it every other user's request) for more than a few milliseconds. One check-in per line:
the file stays readable and a fraction of the size an indented one would be.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from datetime import datetime

from bot.core import views
from bot.core.messages import Message
from bot.core.models import Relationship
from bot.service.api import Actor
from bot.service.context import Context

FILENAME = "rapport-export.json"
Records = Sequence[tuple[int, str, str]]  # (number, key, stored record), as the store reads


async def export(ctx: Context, actor: Actor) -> Message:
    rels = await ctx.store.relationships_of(actor.tenant, actor.user)
    read = [(rel, await ctx.store.checkin_records(actor.tenant, rel.id)) for rel in rels]
    body = await asyncio.to_thread(_file, ctx, actor, ctx.now(), read)
    return views.export_message(ctx.prompts, FILENAME, body)


def _file(
    ctx: Context, actor: Actor, now: datetime, read: list[tuple[Relationship, Records]]
) -> bytes:
    return "".join(_pieces(ctx, actor, now, read)).encode("utf-8")


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _pieces(
    ctx: Context, actor: Actor, now: datetime, read: list[tuple[Relationship, Records]]
) -> Iterator[str]:
    head = {"tenant": actor.tenant, "user": actor.user, "exported_at": now.isoformat()}
    yield _dumps(head)[:-1] + ',\n "relationships": ['
    for i, (rel, records) in enumerate(read):
        yield ("," if i else "") + "\n  " + _dumps(rel.to_dict())[:-1] + ',\n  "checkins": ['
        entries = [
            c
            for number, key, raw in records
            if (c := ctx.store.read_checkin(raw, key, rel.id, number)) is not None
        ]
        entries.sort(key=lambda c: (c.session_at, c.number))
        for j, entry in enumerate(entries):
            yield ("," if j else "") + "\n   " + _dumps(entry.to_dict())
        yield "\n  ]}"
    yield "\n]}\n"
