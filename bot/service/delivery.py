"""A due job's platform calls, each made once (the rule in bot/store/queue.py).

Inside a due job, `Context.notifier` hands out `Once`: a call this job already made (by an
earlier attempt whose bookkeeping failed) gives back the platform's reference instead of a
second message, and before every real call the job's relationship is read once more (or the
job's write right before the call found it in place), so a relationship forgotten or closed
meanwhile gets no DM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.messages import Message
from bot.core.models import CLOSED
from bot.service.api import Notifier, Recipient
from bot.store.queue import Sends

if TYPE_CHECKING:
    from bot.store.repository import Store


class Gone(Exception):
    """The job's relationship was forgotten or closed: it sends and writes nothing more."""


class Once:
    def __init__(self, inner: Notifier, sends: Sends, store: Store) -> None:
        self._inner = inner
        self._sends = sends
        self._store = store

    async def _still_there(self) -> None:
        rid = self._sends.job.payload.get("rid")
        if not rid:
            return  # not about one relationship (a digest, a practitioner's `back`)
        tenant = self._sends.job.tenant
        if self._store.proven(tenant, str(rid)):
            return  # the write just before this send found it in place (e.g. `hold`)
        rel = await self._store.relationship(tenant, str(rid), fresh=True)
        if rel is None or rel.status == CLOSED:
            raise Gone(f"relationship {rid} is gone or closed")

    async def _once(self, label: str, call) -> str | None:
        sends = self._sends
        if label in sends.done:
            return sends.done[label]  # sent by an earlier run of this job: not again
        await self._still_there()
        ref = await call()
        sends.done[label] = ref
        sends.new = True
        return ref

    async def send(self, to: Recipient, message: Message) -> str | None:
        label = self._sends.label(f"send:{message.kind}")
        return await self._once(label, lambda: self._inner.send(to, message))

    async def update(self, to: Recipient, ref: str, message: Message) -> None:
        label = self._sends.label(f"update:{message.kind}")
        await self._once(label, lambda: self._update(to, ref, message))

    async def _update(self, to: Recipient, ref: str, message: Message) -> None:
        await self._inner.update(to, ref, message)
