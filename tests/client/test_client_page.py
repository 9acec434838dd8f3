"""The client's page over real HTTP: token faults, CSRF, headers, rate limit, what is stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.core.client import LINK_PURPOSE
from bot.core.signed import Signer, _b64, _unb64
from bot.store import keys
from bot.web import PAGE_HEADERS
from tests.client.conftest import FOUR, Site
from tests.service_helpers import drain
from tests.serving import serving

GONE = "no longer open"
UNKNOWN = "find this page"


async def stored(site: Site) -> list[str]:
    return sorted(await site.rapport.ctx.store.redis.keys("rapport:{console:*}:*:client:*"))


def altered(url: str, at: int) -> str:
    """The link with one character of its token changed."""
    base, token = url.rsplit("/", 1)
    swapped = "A" if token[at] != "A" else "B"
    return f"{base}/{token[:at]}{swapped}{token[at + 1 :]}"


def signed_with(site: Site, secret: bytes, claims: dict) -> str:
    token = Signer(secret).sign(LINK_PURPOSE, claims, site.clock.now() + timedelta(days=7))
    return f"{site.base}/client/{token}"


def claims_of(url: str) -> dict:
    import json

    return json.loads(_unb64(url.rsplit("/", 1)[1].split(".")[0]))


async def test_the_page_names_no_one_and_says_who_sees_it(site: Site) -> None:
    url = await site.new_link("Sam Lovelace")
    status, body, response = await site.get(url)
    assert status == 200
    assert "your session on Mon 05 Jan" in body
    assert "Only the person you met with will see your answers" in body
    shown = re.sub(r'(action|value)="[^"]*"', "", body)  # the tokens are random base64
    for name in ("Sam", "Lovelace", "u1"):
        assert name not in shown
    assert body.count("<fieldset") == 4 and body.count('type="radio"') == 20
    assert 'name="csrf"' in body and "<script" not in body and "style=" not in body
    for name, value in PAGE_HEADERS.items():
        assert response.headers[name] == value
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/client/" in cookie


@pytest.mark.parametrize("path", ["/client/static/client.css", "/client/nonsense", "/client/a.b"])
async def test_every_client_path_has_the_strict_headers(site: Site, path: str) -> None:
    status, body, response = await site.get(site.base + path)
    assert status in (200, 404)
    for name, value in PAGE_HEADERS.items():
        assert response.headers[name] == value
    if status == 404:
        assert UNKNOWN in body and "Traceback" not in body


async def test_an_altered_token_is_a_friendly_404_and_nothing_is_stored(site: Site) -> None:
    url = await site.new_link()
    token = url.rsplit("/", 1)[1]
    for bad in (altered(url, 3), altered(url, len(token) - 3), url + "x", url[:-5]):
        status, body, _ = await site.get(bad)
        assert status == 404 and UNKNOWN in body
        status, body, _ = await site.post(bad, {**FOUR, "csrf": "x"})
        assert status == 404 and UNKNOWN in body
    assert await stored(site) == []


async def test_a_forged_or_other_tenants_token_is_404(site: Site) -> None:
    url = await site.new_link()
    claims = claims_of(url)
    forged = signed_with(site, b"not the server's secret", {**claims})
    assert (await site.get(forged))[0] == 404
    # The claims changed to name another tenant's relationship: the signature no longer holds.
    base, token = url.rsplit("/", 1)
    body, mac = token.split(".")
    import json

    other = json.dumps({**claims_of(url), "t": "console:t2"}, separators=(",", ":"), sort_keys=True)
    assert (await site.get(f"{base}/{_b64(other.encode())}.{mac}"))[0] == 404
    # A genuine token for another purpose (a chart path) never opens a client page.
    chart = Signer(site.rapport.ctx.client.signer.secret).sign(
        "chart", claims, site.clock.now() + timedelta(days=1)
    )
    assert (await site.get(f"{base}/{chart}"))[0] == 404
    assert await stored(site) == []


async def test_an_expired_link_is_410_and_a_form_sent_after_expiry_is_not_stored(
    site: Site,
) -> None:
    url = await site.new_link()
    site.clock.advance(timedelta(days=6, hours=23))
    status, body, _ = await site.get(url)  # the form is loaded just in time...
    csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    site.clock.advance(timedelta(hours=2))  # ...and sent after the link closed
    status, body, _ = await site.post(url, {"csrf": csrf, **FOUR})
    assert status == 410 and GONE in body
    assert (await site.get(url))[0] == 410
    assert await stored(site) == []


async def test_a_submit_replayed_after_expiry_changes_nothing(site: Site) -> None:
    url = await site.new_link()
    status, body, _ = await site.get(url)
    csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    assert (await site.post(url, {"csrf": csrf, **FOUR}))[0] == 200
    before = await site.rapport.ctx.client.store.answer("console:t1", claims_of(url)["r"], 1)
    site.clock.advance(timedelta(days=8))
    status, body, _ = await site.post(url, {"csrf": csrf, **FOUR, "helped": "1"})
    assert status == 410 and GONE in body
    after = await site.rapport.ctx.client.store.answer("console:t1", claims_of(url)["r"], 1)
    assert after == before and after.ratings["helped"] == 4


async def test_a_link_closes_when_client_ratings_are_turned_off_or_the_relationship_forgotten(
    site: Site,
) -> None:
    url = await site.new_link()
    assert "off" in (await site.say("client Sam off")).summary
    assert (await site.get(url))[0] == 410
    await site.say("client Sam on")
    assert (await site.get(url))[0] == 200
    await site.say("forget Sam")
    await site.say("forget Sam confirm")
    status, body, _ = await site.get(url)
    assert status == 410 and GONE in body


async def test_the_form_needs_its_csrf_token_and_cookie(site: Site) -> None:
    url = await site.new_link()
    other = await site.new_link("Riley")
    status, body, _ = await site.get(other)
    other_csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    status, body, _ = await site.get(url)
    csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    for bad in ("", "junk", other_csrf):  # none, forged, another link's
        status, body, _ = await site.post(url, {"csrf": bad, **FOUR})
        assert status == 403 and "was not sent" in body
        assert 'value="4" checked' in body  # the answers typed are kept on the form
    site.http.cookie_jar.clear()  # another browser (no cookie) replaying this form's token
    status, body, _ = await site.post(url, {"csrf": csrf, **FOUR})
    assert status == 403
    assert await stored(site) == []


async def test_bad_input_comes_back_with_the_error_beside_its_field(site: Site) -> None:
    url = await site.new_link()
    status, body, _ = await site.get(url)
    csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    form = {"csrf": csrf, "perspectives": "4", "power": "9", "comment": "x" * 1001}
    status, body, _ = await site.post(url, form)
    assert status == 400 and 'role="alert"' in body
    for field in ("power", "problem_solving", "helped"):
        assert f'id="error-{field}"' in body
        assert re.search(rf'id="{field}-1"[^>]*aria-describedby="ends-{field} error-{field}"', body)
    assert 'id="error-comment"' in body and "it has 1,001" in body
    assert 'id="perspectives-4" name="perspectives" value="4" checked' in body
    assert 'id="error-perspectives"' not in body
    assert await stored(site) == []


async def test_one_answer_per_session_and_the_client_may_change_it(site: Site) -> None:
    url = await site.new_link()
    assert (await site.answer(url, FOUR, "first"))[0] == 200
    await drain(site.rapport)
    status, body, _ = await site.get(url)
    assert "You answered on" in body and "first</textarea>" in body
    assert 'id="helped-4" name="helped" value="4" checked' in body
    assert (await site.answer(url, {**FOUR, "helped": "2"}, "second"))[0] == 200
    await drain(site.rapport)
    answers = await stored(site)
    assert len([k for k in answers if re.search(r":client:\d+$", k)]) == 1
    rid = claims_of(url)["r"]
    answer = await site.rapport.ctx.client.store.answer("console:t1", rid, 1)
    assert answer.ratings["helped"] == 2 and answer.comment == "second" and answer.edited_at
    dms = site.outbox.to("u1", "client_answer")
    assert "answered" in dms[0].summary and "changed" in dms[1].summary
    series = await site.rapport.ctx.client.store.series("console:t1", rid)
    assert series.answered == 1 and len(series.recent) == 1


async def test_the_comment_is_not_readable_in_a_raw_redis_dump(site: Site) -> None:
    url = await site.new_link()
    assert (await site.answer(url, FOUR, "I felt rushed by the deadline talk"))[0] == 200
    await drain(site.rapport)
    redis = site.rapport.ctx.store.redis
    raw = []
    for key in await redis.keys("*"):
        kind = await redis.type(key)
        if kind == "string":
            raw.append(await redis.get(key))
        elif kind == "hash":
            raw.extend(str(v) for v in (await redis.hgetall(key)).values())
        elif kind == "zset":
            raw.extend(str(m) for m in await redis.zrange(key, 0, -1))
    dump = "\n".join(raw)
    assert "rushed" not in dump and "deadline" not in dump
    assert "fernet:" in dump  # sealed, and still readable by the practitioner:
    assert "rushed" in str(site.outbox.to("u1", "client_answer")[0].blocks)


async def test_requests_are_limited_per_link_and_per_address(site: Site) -> None:
    url = await site.new_link()
    for _ in range(30):
        assert (await site.get(url))[0] == 200
    status, body, response = await site.get(url)
    assert status == 429 and "Please wait" in body and response.headers["Retry-After"]
    assert (await site.post(url, {**FOUR}))[0] == 429
    other = await site.new_link("Riley")
    assert (await site.get(other))[0] == 200  # another link from the same address: still fine
    site.clock.advance(timedelta(minutes=10))  # the next window
    assert (await site.get(url))[0] == 200
    # Guessing tokens from one address runs into the per-address limit, for real links too.
    for n in range(120):
        await site.get(f"{site.base}/client/guess{n}.x")
    assert (await site.get(other))[0] == 429


async def test_a_renumbered_session_keeps_its_link(site: Site) -> None:
    await site.say("add Sam client=on")
    site.clock.advance(timedelta(days=3))
    await site.say("log Sam")  # session 1 ...
    url = site.links()[-1]
    await site.say("log Sam 2026-01-06 10:00")  # ... becomes session 2: one held before it
    assert (await site.get(url))[0] == 200
    assert (await site.answer(url, FOUR))[0] == 200
    await drain(site.rapport)
    assert "session 2" in site.outbox.to("u1", "client_answer")[-1].summary


async def test_export_holds_the_client_answers_and_forget_and_retention_remove_them(
    site: Site,
) -> None:
    url = await site.new_link()
    assert (await site.answer(url, FOUR, "kind words"))[0] == 200
    await drain(site.rapport)
    export = await site.say("export")
    assert b'"client_answers"' in export.attachment.content
    assert b"kind words" in export.attachment.content
    assert len(await stored(site)) == 1  # the answer (+ the series, ...:client)
    await site.say("forget Sam")
    await site.say("forget Sam confirm")
    assert await stored(site) == [] and not await site.rapport.ctx.store.redis.keys("*:client")


async def test_retention_removes_old_client_answers(site: Site) -> None:
    site.rapport.ctx.retention_days = 30
    url = await site.new_link()
    assert (await site.answer(url, FOUR, "old words"))[0] == 200
    await drain(site.rapport)
    site.clock.advance(timedelta(days=20))
    assert await site.rapport.apply_retention() == 0
    site.clock.advance(timedelta(days=11))
    assert await site.rapport.apply_retention() == 2  # the check-in and the client's answer
    assert await stored(site) == []
    series = await site.rapport.ctx.client.store.series("console:t1", claims_of(url)["r"])
    assert series.recent == ()


async def test_an_answer_racing_a_forget_writes_nothing(site: Site) -> None:
    url = await site.new_link()
    claims = claims_of(url)
    store = site.rapport.ctx.client.store
    await site.rapport.ctx.store.redis.delete(keys.relationship("console:t1", claims["r"]))

    def change(found):  # what a submit that read the relationship just before would write
        raise AssertionError("not reached: the relationship is gone")

    assert await store.save("console:t1", claims["r"], 1, change) is None
    assert await stored(site) == []


async def test_storage_away_is_a_friendly_503_not_a_stack_trace(redis, clock) -> None:
    import aiohttp
    import redis.asyncio as aioredis

    from bot.store.server import free_port
    from bot.web import create_app
    from tests.client.conftest import rapport_settings
    from tests.service_helpers import DM, actor, make_service

    port = free_port()
    rapport, outbox = await make_service(redis, clock, public_url=f"http://127.0.0.1:{port}")
    await rapport.command(actor(), "add Sam client=on", DM)
    await rapport.command(actor(), "log Sam", DM)
    await drain(rapport)
    url = next(b.url for _t, m in outbox.sent for b in m.blocks if hasattr(b, "url"))
    dead = aioredis.from_url(f"redis://127.0.0.1:{free_port()}", decode_responses=True)
    rapport.ctx.client.store.redis = dead  # the page's Redis goes away
    rapport.ctx.store.redis = dead
    try:
        async with (
            serving(create_app(rapport, rapport_settings(port)), port),
            aiohttp.ClientSession() as http,
            http.get(url) as response,
        ):
            body = await response.text()
            assert response.status == 503 and "try again in a minute" in body
            assert response.headers["Retry-After"] == "30"
            assert (
                response.headers["Content-Security-Policy"]
                == PAGE_HEADERS["Content-Security-Policy"]
            )
    finally:
        await dead.aclose()
