"""The demo's client: a client link's button opens the client's questions in the console, and
`answer` then answers them as the client would on the page (the same use case the page
calls: bot/service/client.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.client import COMMENT
from bot.core.messages import Link, Message
from bot.service import client as client_side

if TYPE_CHECKING:
    from bot.channels.console.app import Autopilot, Console


def _token(url: str) -> str:
    return url.rsplit(client_side.PATH, 1)[-1]


async def open_page(console: Console, url: str) -> None:
    """Show the client's page as text; the next `answer` is the client's."""
    ctx = console.rapport.ctx
    page = await client_side.open_page(ctx, _token(url))
    if isinstance(page, client_side.Closed):
        words = client_side.side(ctx).words
        key = "gone" if page.status == 410 else "unknown"
        console.show([f"(the page answers {page.status}) {words.on_page(key)}"])
        return
    console.client_url = url
    console.form = None
    console.show(lines(ctx, page))


def lines(ctx, page: client_side.Page) -> list[str]:  # noqa: ANN001 - the service context
    words = client_side.side(ctx).words
    out = [
        "--- the client's page, as your client sees it (no names on it) ---",
        f"== {words.on_page('title')} ==",
        words.on_page("intro", day=page.day),
        words.on_page("who_sees"),
    ]
    for i, q in enumerate(words.questions, start=1):
        now = f" (now {page.answer.ratings.get(q.id)})" if page.answer else ""
        out += [f"  {i}. {q.prompt}{now}", f"      1 = {q.low}", f"      5 = {q.high}"]
    out.append(f"   +  {words.on_page('comment')}")
    out.append(
        "Answer as the client: answer 4 3 5 4 | optional comment "
        f"(the page stays open until {page.until})"
    )
    return out


async def answer(console: Console, rest: str) -> None:
    ctx = console.rapport.ctx
    words = client_side.side(ctx).words
    ratings_part, _, comment = rest.partition("|")
    ratings = ratings_part.split()
    if len(ratings) != len(words.questions):
        console.show(
            [
                f"The client's page has {len(words.questions)} questions, each 1 to 5. "
                "Right form: `answer 4 3 5 4 | optional comment`"
            ]
        )
        return
    values = {q.id: r for q, r in zip(words.questions, ratings, strict=True)}
    values[COMMENT] = comment.strip()
    result = await client_side.submit(ctx, _token(console.client_url or ""), values)
    if isinstance(result, client_side.Page):
        console.show(["Not sent:"] + [f"  {k}: {v}" for k, v in result.errors.items()])
        return
    console.client_url = None
    if isinstance(result, client_side.Closed):
        console.show([f"(the page answers {result.status}) {words.on_page('gone')}"])
        return
    console.show([f"(the client sees) {words.on_page('thanks_title')}. {words.on_page('thanks')}"])
    await console.tick()  # the practitioner is told by a due job: at once, in the demo


async def autoanswer(console: Console, pilot: Autopilot, message: Message) -> None:
    """The sample's clients answer their links by script (while the demo lives its past)."""
    link = next((b for b in message.blocks if isinstance(b, Link) and b.kind == "client"), None)
    alias = pilot.alias_in(message.summary) if link else None
    if link is None or alias is None or alias not in pilot.clients:
        return
    n = pilot.answered.get(f"client:{alias}", 0) + 1
    pilot.answered[f"client:{alias}"] = n
    level = pilot.clients[alias](n)
    ctx = console.rapport.ctx
    values = {}
    for i, q in enumerate(client_side.side(ctx).words.questions):
        jitter = (-0.45, 0.0, 0.45)[(n + i) % 3]
        values[q.id] = str(max(1, min(5, round(1 + 4 * level + jitter))))
    await client_side.submit(ctx, _token(link.url), values)
