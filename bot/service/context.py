"""What every use case works with: the store, the due-queue, the rules, the words, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.core import worktime
from bot.core.clock import Clock
from bot.core.models import Practitioner, Relationship
from bot.core.prompts import Prompts
from bot.core.rubric import Rubric, WorkingHours
from bot.core.schedule import within_working_hours
from bot.service.api import Notifier, Recipient
from bot.service.charts import Charts
from bot.service.delivery import Once
from bot.store.queue import DueQueue, Job, current_sends
from bot.store.repository import Store

if TYPE_CHECKING:
    from bot.service.client import ClientSide  # (it builds on this module)


class NoChannel(RuntimeError):
    """No notifier is registered for a platform: the job is retried later."""


@dataclass
class Context:
    store: Store
    queue: DueQueue
    rubric: Rubric
    prompts: Prompts
    clock: Clock
    prompt_delay: timedelta = timedelta(minutes=10)
    retention_days: int | None = None
    uninstall_grace: timedelta = timedelta(days=30)  # an uninstalled tenant's data is kept
    dispatch_concurrency: int = 1
    notifiers: dict[str, Notifier] = field(default_factory=dict)
    client: ClientSide | None = None  # the client's side (set up by service.app.build)
    charts: Charts | None = None  # None: replies carry no pictures

    def now(self) -> datetime:
        return self.clock.now()

    def working(self, instant: datetime, tz: str) -> datetime:
        """`instant`, moved to the start of the practitioner's next working hours if needed."""
        hours = self.rubric.working_hours
        return within_working_hours(instant, tz, hours.start, hours.end, hours.days)

    async def hours_of(self, rel: Relationship) -> WorkingHours:
        """The working hours of the relationship's practitioner (rubric.yaml's by default)."""
        who = await self.store.practitioner(rel.tenant, rel.owner)
        return worktime.hours_of(self.rubric.working_hours, who.hours)

    async def working_for(self, rel: Relationship, instant: datetime) -> datetime:
        """`instant`, or the start of the practitioner's own next working time."""
        return worktime.within(instant, rel.tz, await self.hours_of(rel))

    async def schedule(self, kind: str, tenant: str, key: str, due: datetime, **payload) -> None:
        job_id = f"{kind}:{tenant}:{key}"
        await self.queue.put(Job(job_id, kind, tenant, due.timestamp(), payload))

    def notifier(self, tenant: str) -> Notifier:
        """The platform's notifier; inside a due job, one that makes each call once and
        checks the job's relationship first (bot/service/delivery.py)."""
        platform = tenant.split(":", 1)[0]
        found = self.notifiers.get(platform)
        if found is None:
            raise NoChannel(f"no channel registered for {platform!r}")
        sends = current_sends()
        return found if sends is None else Once(found, sends, self.store)

    async def recipient(self, rel: Relationship) -> Recipient:
        who: Practitioner = await self.store.practitioner(rel.tenant, rel.owner)
        return Recipient(rel.tenant, user=rel.owner, address=who.address)
