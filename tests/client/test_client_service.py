"""The client's side through the service, as Slack, Teams and the console reach it."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.slack import render as slack_render
from bot.channels.teams import cards
from bot.config import Settings
from bot.core.messages import Link, Message
from bot.core.models import Relationship
from bot.service import client as client_side
from bot.service.app import build
from tests.service_helpers import (
    CHANNEL,
    DM,
    Outbox,
    actor,
    answers,
    drain,
    make_service,
)

FOUR = {"perspectives": "4", "power": "4", "problem_solving": "4", "helped": "4"}


def token_of(message: Message) -> str:
    link = next(b for b in message.blocks if isinstance(b, Link))
    return link.url.rsplit("/", 1)[1]


async def session(rapport, outbox: Outbox, clock, alias: str = "Sam", user: str = "u1"):
    """Log a session now (a week after the last): its check-in message."""
    clock.advance(timedelta(days=7))
    await rapport.command(actor(user), f"log {alias}", DM)
    await drain(rapport)
    return outbox.to(user, "checkin")[-1]


async def client_answers(rapport, message: Message, level: int | dict, comment: str = "") -> None:
    values = level if isinstance(level, dict) else {k: str(level) for k in FOUR}
    result = await client_side.submit(
        rapport.ctx, token_of(message), {**values, "comment": comment}
    )
    assert isinstance(result, client_side.Thanks), result
    await drain(rapport)


async def practitioner_answers(rapport, message: Message, level: int, user: str = "u1"):
    return await rapport.submit(actor(user), message.form.ref, answers(message.form, level))


async def test_client_ratings_are_off_by_default_and_turned_on_by_command(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam", DM)
    checkin = await session(rapport, outbox, clock)
    assert not any(isinstance(b, Link) for b in checkin.blocks)
    reply = await rapport.command(actor(), "client Sam on", DM)
    assert "Client ratings are on for Sam" in reply.summary
    assert "already on" in (await rapport.command(actor(), "client sam on", DM)).summary
    checkin = await session(rapport, outbox, clock)
    assert token_of(checkin) and "the bot never contacts your client" in str(checkin.blocks)
    assert (await rapport.command(actor(), "client Nobody on", DM)).kind == "error"
    wrong = await rapport.command(actor(), "client Sam maybe", DM)
    assert wrong.kind == "error" and "client <alias> on|off" in wrong.summary
    help_text = (await rapport.command(actor(), "help", DM)).summary
    assert "client <alias> on" in help_text and "client=on" in help_text


async def test_a_review_carries_no_client_link(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam client=on", DM)
    review = await rapport.command(actor(), "review Sam", DM)
    assert not any(isinstance(b, Link) for b in review.blocks)


async def test_without_a_secret_there_are_no_links_and_the_reply_says_why(redis, clock):
    rapport = await build(Settings(allow_plaintext=True), clock, redis)
    outbox = Outbox(clock)
    rapport.register("console", outbox)
    reply = await rapport.command(actor(), "add Sam client=on", DM)
    assert "need a server secret" in reply.summary or "need a server secret" in str(reply.blocks)
    assert (await rapport.command(actor(), "client Sam on", DM)).kind == "error"
    checkin = await session(rapport, outbox, clock)
    assert not any(isinstance(b, Link) for b in checkin.blocks)


async def test_an_old_relationship_record_reads_as_client_ratings_off(redis, clock):
    rapport, _ = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam", DM)
    rel = (await rapport.ctx.store.relationships_of("console:t1", "u1"))[0]
    assert "client" not in rel.to_dict()  # the record as the previous version wrote it
    assert Relationship.from_dict(rel.to_dict()).client is False
    on = Relationship.from_dict({**rel.to_dict(), "client": True})
    assert on.client and on.to_dict()["client"] is True


async def test_the_gap_nudge_comes_after_two_sessions_in_a_row_and_list_marks_it(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam client=on", DM)
    first = await session(rapport, outbox, clock)
    await client_answers(rapport, first, 3)  # the client answers first...
    result = await practitioner_answers(rapport, first, 5)  # ...a gap once: not nudged
    assert not [m for m in result.followups if m.kind.startswith("client_")]
    assert token_of(result.update) == token_of(first)  # the saved DM keeps the client's link
    second = await session(rapport, outbox, clock)
    await client_answers(rapport, second, 3)
    result = await practitioner_answers(rapport, second, 5)
    gap = [m for m in result.followups if m.kind == "client_gap"]
    assert len(gap) == 1 and "a gap between your view and your client's" in gap[0].summary
    assert "Ask how the work is going for them" in str(gap[0].blocks)
    listing = await rapport.command(actor(), "list", DM)
    assert "gap with client" in str(listing.blocks)
    history = str((await rapport.command(actor(), "history Sam", DM)).blocks)
    assert "Gap at the last session with both views: you rated 2 points above" in history
    assert "two sessions in a row" in history
    home = await rapport.home(actor())
    assert "gap with client" in str(home.blocks)


async def test_the_answer_dm_shows_both_views_and_a_fall_brings_its_nudge(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam client=on", DM)
    for level in (4, 4, 4, 4):
        message = await session(rapport, outbox, clock)
        await practitioner_answers(rapport, message, 4)
        await client_answers(rapport, message, level)
    assert outbox.to("u1", "client_falls") == []
    message = await session(rapport, outbox, clock)
    await practitioner_answers(rapport, message, 4)
    await client_answers(rapport, message, 1, comment="I am not sure this is helping")
    dm = outbox.to("u1", "client_answer")[-1]
    assert "your client answered for session 5" in dm.summary
    assert "You: 4 · Your client: 1" in str(dm.blocks)
    assert "not sure this is helping" in str(dm.blocks)
    falls = outbox.to("u1", "client_falls")
    assert len(falls) == 1 and "own ratings are falling" in falls[0].summary
    listing = await rapport.command(actor(), "list", DM)
    assert "client ratings falling" in str(listing.blocks)


async def test_the_digest_shows_the_teams_client_response_rate_from_three(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    users = ["a", "b", "c"]
    for user in users:
        await rapport.command(actor(user), "add Sam client=on", DM)
        await rapport.command(actor(user), "log Sam", DM)
    await drain(rapport)
    for user in users[:2]:  # two clients of three answer
        message = outbox.to(user, "checkin")[-1]
        await practitioner_answers(rapport, message, 4, user)
        await client_answers(rapport, message, 4, comment="private words")
    clock.advance(timedelta(days=1))
    digest = await rapport.command(actor("a"), "digest now", CHANNEL)
    flat = digest.summary + str(digest.blocks)
    assert "('Client response rate', '67%')" in flat
    assert "private words" not in flat and "Sam" not in flat


async def test_the_digest_hides_the_client_rate_below_three_practitioners(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    for user in ("a", "b", "c"):
        await rapport.command(actor(user), "add Sam" + (" client=on" if user != "c" else ""), DM)
        await rapport.command(actor(user), "log Sam", DM)
    await drain(rapport)
    clock.advance(timedelta(days=1))
    digest = await rapport.command(actor("a"), "digest now", CHANNEL)
    assert "('Client response rate', 'too little data')" in str(digest.blocks)


async def test_slack_and_teams_show_the_same_link(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam client=on", DM)
    message = await session(rapport, outbox, clock)
    url = next(b.url for b in message.blocks if isinstance(b, Link))
    slack = str(slack_render.blocks(message))
    assert f"<{url}>" in slack
    card = cards.card(message)
    texts = [b.get("text", "") for b in card["body"]]
    assert any(f"]({url})" in t for t in texts)  # the link, in the check-in card with its form
    assert any(b.get("type") == "Input.ChoiceSet" for b in card["body"])


async def test_the_demo_lets_a_newcomer_play_the_client(redis, clock):
    import io

    from bot.channels.console.app import Console

    rapport, _ = await make_service(redis, clock)
    out = io.StringIO()
    console = Console(rapport, clock, out=out, user="u1")
    for line in ("add Sam client=on", "log Sam"):
        await console.handle(line)
    shown = out.getvalue()
    assert "Client link: http" in shown and "[Answer as the client] → press 2" in shown
    await console.handle("press 2")
    page = out.getvalue()
    assert "as your client sees it (no names on it)" in page and "Did today help?" in page
    assert "Sam" not in page.split("as your client sees it", 1)[1].split("Answer as the client")[0]
    await console.handle("answer 9 9")
    assert "Right form: `answer 4 3 5 4 | optional comment`" in out.getvalue()
    await console.handle("answer 4 3 5 2 | clearer next steps, please")
    after = out.getvalue()
    assert "(the client sees) Thank you" in after
    assert "Sam: your client answered for session 1" in after
    assert "clearer next steps, please" in after
    await console.handle("press 1")  # the practitioner's own check-in opens as before
    await console.handle("answer 4 4 4 4")
    assert "Check-in for session 1 with Sam saved" in out.getvalue()


async def test_the_answer_dm_says_when_the_practitioners_own_check_in_was_missed(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam client=on", DM)
    message = await session(rapport, outbox, clock)
    await client_answers(rapport, message, 3)
    assert "You: not answered yet · Your client: 3" in str(
        outbox.to("u1", "client_answer")[-1].blocks
    )
    message = await session(rapport, outbox, clock)
    clock.advance(timedelta(days=6))  # reminders, then the check-in closes as missed
    await drain(rapport)
    missed = outbox.updates[-1][2]
    assert "closed as missed" in missed.summary
    assert token_of(missed) == token_of(message)  # the link, still open, stays on the message
    await client_answers(rapport, message, 3)
    dm = outbox.to("u1", "client_answer")[-1]
    assert "You: no check-in (missed) · Your client: 3" in str(dm.blocks)


async def test_the_clients_words_are_escaped_in_slack_and_teams(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam client=on", DM)
    message = await session(rapport, outbox, clock)
    await client_answers(rapport, message, 3, comment="<!channel> <b>rushed</b> & <@U1>")
    dm = outbox.to("u1", "client_answer")[-1]
    slack = str(slack_render.blocks(dm))
    assert "<!channel>" not in slack and "<@U1>" not in slack and "<b>" not in slack
    assert "&lt;b&gt;rushed&lt;/b&gt; &amp;" in slack
    card = str(cards.card(dm))
    assert "<b>" not in card and "<!channel>" not in card


async def test_the_history_chart_draws_the_clients_series_beside_the_practitioners(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam client=on", DM)
    for client_level in (5, 3):
        message = await session(rapport, outbox, clock)
        await practitioner_answers(rapport, message, 4)
        await client_answers(rapport, message, {**FOUR, "perspectives": str(client_level)})
    chart = (await rapport.command(actor(), "history Sam", DM)).chart
    assert [p.session for p in chart.points] == [1, 2]
    # the three group questions on the 0..1 scale ("Did today help?" left out)
    assert [(p.session, p.score) for p in chart.client] == [(1, 0.8333), (2, 0.6667)]
    await rapport.command(actor(), "add Kim", DM)
    await practitioner_answers(rapport, await session(rapport, outbox, clock, "Kim"), 4)
    chart = (await rapport.command(actor(), "history Kim", DM)).chart
    assert chart.points and chart.client is None  # client ratings off: one series


async def test_a_clients_answer_waits_while_the_practitioner_is_away(redis, clock):
    rapport, outbox = await make_service(redis, clock)
    await rapport.command(actor(), "add Sam client=on", DM)
    message = await session(rapport, outbox, clock)
    back_on = (clock.now() + timedelta(days=10)).date()
    await rapport.command(actor(), f"away until {back_on.isoformat()}", DM)
    await client_answers(rapport, message, 2, comment="it felt rushed")
    clock.advance(timedelta(days=5))
    await drain(rapport)
    assert outbox.to("u1", "client_answer") == []  # not during the time away
    clock.advance(timedelta(days=7))
    await drain(rapport)
    (dm,) = outbox.to("u1", "client_answer")  # once, after it
    assert "it felt rushed" in str(dm.blocks)
