"""`export`: the caller's own data as one JSON file, streamed in slices.

Reading is done in chunks (one MGET per 250 check-ins, each a short await), and the
CPU work (decoding, opening encrypted texts, writing JSON) is done one check-in at a time,
giving the event loop back every `SLICE_SECONDS` (2 ms): a relationship with 10,000
check-ins never holds the loop (and with it every other user's request) for more than a few
milliseconds. (A worker thread was tried first: it shares the GIL with the loop and held
it for 15-90 ms at a time under load; slices bound the wait by construction.) One
check-in per line: the file stays readable and a fraction of the size an indented one
would be.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from datetime import datetime

import bot.service.client as client_side
from bot.core import views
from bot.core.messages import Message
from bot.core.models import CheckIn, Relationship
from bot.service.api import Actor
from bot.service.context import Context

FILENAME = "rapport-export.json"
SLICE_SECONDS = 0.002
READ_CHUNK = 250  # check-ins per MGET: parsing a reply of 250 takes about 2 ms, 1,000 about 10
Records = Sequence[tuple[int, str, str]]  # (number, key, stored record), as the store reads


async def export(ctx: Context, actor: Actor) -> Message:
    rels = await ctx.store.relationships_of(actor.tenant, actor.user)
    read = [
        (rel, await ctx.store.checkin_records(actor.tenant, rel.id, READ_CHUNK)) for rel in rels
    ]
    body = await _file(ctx, actor, ctx.now(), read)
    return views.export_message(ctx.prompts, FILENAME, body)


class _Slices:
    """Hands the event loop back whenever SLICE_SECONDS of work have passed."""

    def __init__(self) -> None:
        self.deadline = time.perf_counter() + SLICE_SECONDS

    async def tick(self) -> None:
        if time.perf_counter() > self.deadline:
            await asyncio.sleep(0)  # let every other request run, then go on
            self.deadline = time.perf_counter() + SLICE_SECONDS


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


async def _file(
    ctx: Context, actor: Actor, now: datetime, read: list[tuple[Relationship, Records]]
) -> bytes:
    slices = _Slices()
    head = {"tenant": actor.tenant, "user": actor.user, "exported_at": now.isoformat()}
    out = [(_dumps(head)[:-1] + ',\n "relationships": [').encode()]
    for i, (rel, records) in enumerate(read):
        lead = ("," if i else "") + "\n  " + _dumps(rel.to_dict())[:-1] + ',\n  "checkins": ['
        out.append(lead.encode())
        entries: list[CheckIn] = []
        for number, key, raw in records:
            if (entry := ctx.store.read_checkin(raw, key, rel.id, number)) is not None:
                entries.append(entry)
            await slices.tick()
        entries.sort(key=lambda c: (c.session_at, c.number))
        for j, entry in enumerate(entries):
            out.append((("," if j else "") + "\n   " + _dumps(entry.to_dict())).encode())
            await slices.tick()
        answers = _dumps(await client_side.export(ctx, rel))
        out.append(b'\n  ], "client_answers": ' + answers.encode() + b"}")
    out.append(b"\n]}\n")
    return b"".join(out)
