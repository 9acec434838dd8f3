"""The client's side, each use case once: turning it on, the link in a check-in, the page
(open, submit), the message that brings an answer, the gap after a check-in, export,
forget and retention."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.core import charts, timeline, views
from bot.core import client as core
from bot.core import commands as c
from bot.core.client import ClientAnswer, ClientPoint, ClientSeries, ClientWords, LinkClaims
from bot.core.messages import Message, Paragraph, Span
from bot.core.models import MISSED, SESSION, CheckIn, Relationship
from bot.core.rubric import DriftParams, Rubric
from bot.core.schedule import iso_week, local
from bot.core.signed import BadToken, ExpiredToken, Signer, expires_at
from bot.core.views import client as client_views
from bot.service.api import Actor, Place
from bot.service.context import Context
from bot.store.client import AnswerRecords, ClientStore
from bot.store.errors import StorageUnavailable
from bot.store.queue import Job
from bot.store.repository import Store

Unavailable = StorageUnavailable  # Redis away: the page says "try again" (503)

PATH = "/client/"  # + token: the client's page (bot/channels/clientpage)
FORM_HOURS = 12  # a page's form (its CSRF token) is good for this long
# Requests per window (RATE_WINDOW seconds) to client pages: per link and per address.
RATE_WINDOW = 600
PER_TOKEN, PER_ADDRESS = 30, 120


@dataclass(frozen=True)
class ClientSide:
    """What the client's side works with, made once at start-up."""

    words: ClientWords
    params: DriftParams
    groups: Mapping[str, str]
    store: ClientStore
    public_url: str
    link_days: int
    signer: Signer | None = field(default=None, repr=False)  # None: no secret, no links


def make(store: Store, rubric: Rubric, prompts_dir: Path, settings: Settings) -> ClientSide:
    """Built in service/app.py's `build`; checks prompts/client.yaml against the rubric."""
    secret = settings.link_secret
    return ClientSide(
        words=core.load_client_words(rubric, prompts_dir),
        params=rubric.client_drift or rubric.drift,
        groups=core.group_of(rubric),
        store=ClientStore(store),
        public_url=settings.public_url.rstrip("/"),
        link_days=settings.client_link_days,
        signer=Signer(secret) if secret else None,
    )


def side(ctx: Context) -> ClientSide:
    if not isinstance(ctx.client, ClientSide):
        raise RuntimeError("the client's side was not set up (service.app.build does it)")
    return ctx.client


# --- turning it on ----------------------------------------------------------------------
async def toggle(ctx: Context, actor: Actor, cmd: c.ClientRatings, _place: Place) -> Message:
    from bot.service.commands import find_open  # noqa: PLC0415 - commands imports this module

    cs = side(ctx)
    rel = await find_open(ctx, actor, cmd.alias)
    if isinstance(rel, Message):
        return rel
    if cmd.on and cs.signer is None:
        return views.error(cs.words.say("no_secret"))
    if rel.client == cmd.on:
        return _reply(cs, "on_already" if cmd.on else "off_already", alias=rel.alias)
    await ctx.store.update(rel.tenant, rel.id, lambda r: replace(r, client=cmd.on))
    return _reply(cs, "turned_on" if cmd.on else "turned_off", alias=rel.alias)


def _reply(cs: ClientSide, key: str, **values: object) -> Message:
    line = cs.words.say(key, **values)
    return Message(summary=line, blocks=(Paragraph((Span(line),)),))


def added(ctx: Context, message: Message, cmd: c.Add) -> Message:
    """`add ... client=on`: the reply says so (or why there will be no links)."""
    if not cmd.client:
        return message
    cs = side(ctx)
    key = "no_secret" if cs.signer is None else "turned_on"
    line = cs.words.say(key, alias=cmd.alias)
    return replace(message, blocks=(*message.blocks, Paragraph((Span(line),))))


def chart_points(
    rubric: Rubric, rel: Relationship, series: ClientSeries | None
) -> list[charts.ClientPoint] | None:
    """The client's series for the history chart: per answered session, the mean of the
    three group questions on the practitioner's 0..1 scale ("Did today help?" is left out,
    as "Am I being helpful?" is from the practitioner's score); None with no answers."""
    if series is None or not series.recent:
        return None
    groups = [g.id for g in rubric.groups]
    out = []
    for point in series.recent:
        rated = [(point.ratings[g] - 1) / 4 for g in groups if g in point.ratings]
        if rated:
            session = timeline.number_of(rel.timeline, point.checkin) or point.checkin
            out.append(charts.ClientPoint(session, round(sum(rated) / len(rated), 4)))
    return out or None


# --- the link -----------------------------------------------------------------------------
def expires(cs: ClientSide, checkin: CheckIn) -> datetime:
    return checkin.created + timedelta(days=cs.link_days)


def link_for(ctx: Context, rel: Relationship, checkin: CheckIn) -> str | None:
    """The client's link for a session's check-in (the same every time it is rendered)."""
    cs = side(ctx)
    if not rel.client or checkin.kind != SESSION or cs.signer is None:
        return None
    at = timeline.held_with(rel.timeline, checkin.number)
    when = at.at if at else checkin.session_at
    claims = LinkClaims(rel.tenant, rel.id, checkin.number, int(when.timestamp()))
    token = cs.signer.sign(core.LINK_PURPOSE, claims.to_claims(), expires(cs, checkin))
    return f"{cs.public_url}{PATH}{token}"


def link_count(ctx: Context, rel: Relationship) -> dict[str, int]:
    """The aggregate's counter for a session held with client ratings on (its check-in
    carries a link): the digest's client response rate is answers over these."""
    on = rel.client and ctx.client is not None and side(ctx).signer is not None
    return {"client_links": 1} if on else {}


def with_link(ctx: Context, rel: Relationship, checkin: CheckIn, message: Message) -> Message:
    url = link_for(ctx, rel, checkin)
    cs = side(ctx)
    if url is None or ctx.now() >= expires(cs, checkin):  # a closed link is not shown
        return message
    return client_views.with_link(
        cs.words, message, url, checkin.session, expires(cs, checkin), rel.tz
    )


# --- the page -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Closed:
    """The link does not open a page: 404 (unknown, forged, altered) or 410 (closed)."""

    status: int


@dataclass(frozen=True)
class Page:
    """The client's page for one session (it names no one)."""

    claims: LinkClaims
    day: str  # "Tue 17 Mar"
    until: str  # when the link closes, "Tue 24 Mar"
    answer: ClientAnswer | None
    comment_kept: bool  # False: no encryption key, so a comment would not be stored
    values: Mapping[str, str] = field(default_factory=dict, repr=False)  # as submitted
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Thanks:
    until: str


def _claims(ctx: Context, token: str) -> LinkClaims | Closed:
    """The claims of a genuine, open link (no I/O)."""
    cs = side(ctx)
    if cs.signer is None:
        return Closed(404)
    try:
        return LinkClaims.from_claims(cs.signer.verify(core.LINK_PURPOSE, token, ctx.now()))
    except ExpiredToken:
        return Closed(410)
    except (BadToken, ValueError):
        return Closed(404)


def _session_of(rel: Relationship | None, claims: LinkClaims) -> datetime | Closed:
    """When the link's session was held, or why the link no longer opens."""
    if rel is None or rel.tenant != claims.tenant:
        return Closed(410)  # a genuine link whose relationship was deleted
    held = timeline.held_with(rel.timeline, claims.checkin)
    if not rel.client or held is None or int(held.at.timestamp()) != claims.at:
        return Closed(410)  # turned off, or the session is no longer on the timeline
    return held.at


def _day(instant: datetime, tz: str) -> str:
    return local(instant, tz).strftime("%a %d %b")


async def open_page(ctx: Context, token: str) -> Page | Closed:
    claims = _claims(ctx, token)
    if isinstance(claims, Closed):
        return claims
    cs = side(ctx)
    rel, answer = await cs.store.with_relationship(
        claims.tenant, claims.relationship, claims.checkin
    )
    at = _session_of(rel, claims)
    if isinstance(at, Closed):
        return at
    return Page(
        claims=claims,
        day=_day(at, rel.tz),
        until=_day(expires_at(token), rel.tz),
        answer=answer,
        comment_kept=cs.store.stores_text,
    )


async def submit(ctx: Context, token: str, values: Mapping[str, str]) -> Page | Thanks | Closed:
    """Store the client's answer (or the change to it); the practitioner is told by a due job."""
    claims = _claims(ctx, token)
    if isinstance(claims, Closed):
        return claims
    cs = side(ctx)
    filled = core.read_form(cs.words, values)
    if not isinstance(filled, core.Filled):
        page = await open_page(ctx, token)
        return replace(page, values=dict(values), errors=filled) if isinstance(page, Page) else page
    saved = await _save(ctx, claims, filled)
    if isinstance(saved, Closed):
        return saved
    rel, before, verdict = saved
    await ctx.schedule(
        "client",
        rel.tenant,
        f"{rel.id}:{claims.checkin}:{secrets.token_hex(6)}",  # one message per submit
        ctx.now(),
        rid=rel.id,
        number=claims.checkin,
        edited=before is not None,
        nudge=verdict.nudge,
        group=verdict.group,
        gap=verdict.gap,
    )
    return Thanks(until=_day(expires_at(token), rel.tz))


async def _save(
    ctx: Context, claims: LinkClaims, filled: core.Filled
) -> tuple[Relationship, ClientAnswer | None, core.Verdict] | Closed:
    """The answer, the client's series and the aggregate's count, from one read and in one
    compare-and-set write (redone on a conflict); the relationship, the previous answer and
    the verdict, or why the link no longer opens (nothing written)."""
    cs, now = side(ctx), ctx.now()
    comment = filled.comment if cs.store.stores_text else ""  # no key: no comment kept
    result: list = [Closed(410)]

    def change(found: AnswerRecords) -> AnswerRecords | None:
        at = _session_of(found.relationship, claims)
        if isinstance(at, Closed):
            result[:] = [at]
            return None
        rel, before = found.relationship, found.answer
        answer = ClientAnswer(claims.checkin, at, dict(filled.ratings), now, comment)
        agg = found.aggregate
        if before is None:  # the session's first answer: counted for the digest
            agg = agg.count(iso_week(at), client_answered=1)
        else:  # a change: one answer per session, first answered kept
            answer = replace(answer, answered_at=before.answered_at, edited_at=now)
        point = ClientPoint(claims.checkin, at, dict(filled.ratings))
        series, verdict = core.answered(cs.params, cs.groups, found.series, point, agg.recent)
        result[:] = [(rel, before, verdict)]
        return replace(found, answer=answer, series=series, aggregate=agg)

    await cs.store.save(claims.tenant, claims.relationship, claims.checkin, change)
    return result[0]


async def tell(ctx: Context, rel: Relationship, job: Job) -> None:
    """The due job a client's answer queued: the two views to the practitioner, and the nudge
    the answer brought, if any. While the practitioner is away it waits for them: asked again
    each working morning, so an early `back` brings it the next morning."""
    cs = side(ctx)
    number = int(job.payload["number"])
    answer = await cs.store.answer(rel.tenant, rel.id, number)
    if answer is None:
        return  # forgotten meanwhile
    who = await ctx.store.practitioner(rel.tenant, rel.owner)
    if who.away and local(ctx.now(), rel.tz).date().isoformat() < str(who.away_until):
        morning = await ctx.working_for(rel, ctx.now() + timedelta(days=1))
        key = f"{rel.id}:{number}:{secrets.token_hex(6)}"
        await ctx.schedule("client", rel.tenant, key, morning, **job.payload)
        return
    agg = await ctx.store.aggregate(rel.tenant, rel.id)
    mine = next((s for s in agg.recent if s.number == number), None)
    own = None if mine else await ctx.store.checkin(rel.tenant, rel.id, number)
    missed = own is not None and own.status == MISSED
    session = timeline.number_of(rel.timeline, number) or number
    to = await ctx.recipient(rel)
    notifier = ctx.notifier(rel.tenant)
    edited = bool(job.payload.get("edited"))
    await notifier.send(
        to,
        client_views.answer_message(
            cs.words, ctx.rubric, rel, session, answer, mine, edited, missed
        ),
    )
    kind = job.payload.get("nudge")
    if kind:
        gap = job.payload.get("gap")
        await notifier.send(
            to,
            client_views.nudge(cs.words, ctx.rubric, rel, str(kind), job.payload.get("group"), gap),
        )


async def after_checkin(ctx: Context, rel: Relationship, checkin: CheckIn) -> list[Message]:
    """The practitioner answered a session's check-in: with the client's answer for it, the
    gap may open (the gap nudge) or close."""
    if not rel.client or checkin.kind != SESSION or ctx.client is None:
        return []
    cs = side(ctx)
    series = await cs.store.series(rel.tenant, rel.id)
    if series.point(checkin.number) is None:
        return []
    summaries = (await ctx.store.aggregate(rel.tenant, rel.id)).recent  # with this answer
    changed, verdict = core.practitioner_answered(series, summaries, checkin.number)
    if changed != series:  # the gap opened or closed: written (compare-and-set, redone on a race)
        await cs.store.change_series(
            rel.tenant,
            rel.id,
            lambda s: core.practitioner_answered(s, summaries, checkin.number)[0],
        )
    if verdict.nudge is None:
        return []
    return [client_views.nudge(cs.words, ctx.rubric, rel, verdict.nudge, None, verdict.gap)]


# --- rate limit ---------------------------------------------------------------------------
def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


async def allowed(
    ctx: Context,
    token: str,
    address: str,
    per_token: int = PER_TOKEN,
    per_address: int = PER_ADDRESS,
) -> bool:
    """Count one request; False once the link or the address made too many in this window."""
    store = side(ctx).store
    window = int(ctx.now().timestamp()) // RATE_WINDOW
    counters = [("token", _digest(token)), ("addr", _digest(address))]
    by_token, by_address = await store.hit(counters, window, RATE_WINDOW)
    return by_token <= per_token and by_address <= per_address


# --- the form's CSRF token ----------------------------------------------------------------
def form_token(ctx: Context, token: str, nonce: str) -> str:
    """The CSRF token of the page's form: bound to this link and the browser's cookie nonce."""
    cs = side(ctx)
    if cs.signer is None:
        return ""
    claims = {"l": _digest(token), "n": nonce}
    return cs.signer.sign(core.FORM_PURPOSE, claims, ctx.now() + timedelta(hours=FORM_HOURS))


def form_ok(ctx: Context, token: str, nonce: str, presented: str) -> bool:
    cs = side(ctx)
    if cs.signer is None or not nonce:
        return False
    try:
        claims = cs.signer.verify(core.FORM_PURPOSE, presented, ctx.now())
    except (BadToken, ExpiredToken):
        return False
    return claims.get("l") == _digest(token) and secrets.compare_digest(
        str(claims.get("n", "")), nonce
    )


# --- export, forget, retention ------------------------------------------------------------
EXPORT_CHUNK = 250  # answers per MGET, as export reads check-ins: no long Redis command


async def export(ctx: Context, rel: Relationship) -> list[dict[str, Any]]:
    """The client's answers, for `export`. A relationship whose client never answered (most
    of them) costs one GET, not a read of a key per check-in."""
    if ctx.client is None:
        return []
    cs = side(ctx)
    if not (await cs.store.series(rel.tenant, rel.id)).answered:
        return []
    found = []
    for start in range(1, rel.entries + 1, EXPORT_CHUNK):
        numbers = list(range(start, min(start + EXPORT_CHUNK, rel.entries + 1)))
        found += await cs.store.answers(rel.tenant, rel.id, numbers)
    return [a.to_dict() for a in found]


async def prune(ctx: Context, rel: Relationship, before: float) -> int:
    if ctx.client is None:
        return 0
    return await side(ctx).store.prune(rel.tenant, rel.id, rel.entries, before)


async def series_of(ctx: Context, rels: list[Relationship]) -> list[ClientSeries | None]:
    """Each relationship's client series; None where client ratings are off (then nothing
    is read: `list` and `history` cost what they did before client ratings existed)."""
    out: list[ClientSeries | None] = [None] * len(rels)
    on = [i for i, r in enumerate(rels) if r.client]
    if ctx.client is None or not on:
        return out
    found = await side(ctx).store.many_series(rels[0].tenant, [rels[i].id for i in on])
    for i, series in zip(on, found, strict=True):
        out[i] = series
    return out


HANDLERS = {c.ClientRatings: toggle}
