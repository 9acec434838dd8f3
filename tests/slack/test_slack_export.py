"""A large `export` in Slack is one file (files upload v2), whatever its size."""

from __future__ import annotations

import json
from dataclasses import replace

from fake_slack import FakeSlack, SlackUser, dm_of

from bot.core.models import ANSWERED, CheckIn
from bot.store import keys

COUNT = 2_000


async def test_a_large_export_is_one_file_in_the_dm(
    alice: SlackUser, fake_slack: FakeSlack, rapport
) -> None:
    await alice.ask("add Sam")
    store = rapport.ctx.store
    rel = next(iter(await store.relationships_of("slack:T0RAPPORT", "UALICE")), None)
    assert rel is not None, "Sam was not stored under the expected tenant"
    at = rapport.clock.now()
    async with store.redis.pipeline(transaction=False) as pipe:
        for n in range(1, COUNT + 1):
            entry = CheckIn(rel.id, n, "session", n, at, at, ("c1",), status=ANSWERED)
            entry = replace(entry, texts={"takeaway": f"note {n}"})
            pipe.set(keys.checkin(rel.tenant, rel.id, n), store.encode_checkin(entry))
        await pipe.execute()
    await store.update(rel.tenant, rel.id, lambda r: replace(r, entries=COUNT))

    await alice.ask("export")

    calls = fake_slack.summary()
    assert calls.count("files.getUploadURLExternal") == 1
    assert calls.count("files.completeUploadExternal") == 1
    [uploaded] = fake_slack.files
    assert uploaded["channel"] == dm_of("UALICE")
    data = json.loads(fake_slack.uploads[uploaded["id"]])
    assert len(data["relationships"][0]["checkins"]) == COUNT
