"""Look-alike aliases: six names that read as "Sam" are one relationship, never six."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core import aliases
from bot.core.commands import Add, alias_key, parse
from bot.core.models import Relationship
from bot.store import keys
from tests.service_helpers import DM, TENANT, actor, make_service

# The six of the issue: plain, Cyrillic Dze, Cyrillic a, and three invisible characters.
SIX = ["Sam", "\u0405am", "S\u0430m", "\u200bSam", "S\u00adam", "Sam\u2060"]
INVISIBLE = SIX[3:]
CYRILLIC = SIX[1:3]


@pytest.mark.parametrize("alias", INVISIBLE)
def test_format_characters_are_dropped_before_an_alias_is_stored(alias):
    assert aliases.normalise(alias) == "Sam"
    assert alias_key(alias) == alias_key("Sam") == "sam"
    command = parse(f"add {alias} sessions=8")
    assert isinstance(command, Add) and command.alias == "Sam"


def test_nfkc_folds_width_and_ligatures():
    assert aliases.normalise("\uff33\uff41\uff4d") == "Sam"  # full-width
    assert aliases.key("\ufb01nn") == aliases.key("Finn")  # the "fi" ligature


@pytest.mark.parametrize("alias", CYRILLIC)
def test_cyrillic_look_alikes_share_the_skeleton_of_sam(alias):
    assert alias_key(alias) != alias_key("Sam")  # a different name...
    assert aliases.skeleton(alias) == aliases.skeleton("Sam")  # ...that reads the same
    assert aliases.look_alike(alias, ["Kim", "Sam"]) == "Sam"


def test_greek_and_cyrillic_capitals_read_as_latin_ones():
    assert aliases.look_alike("\u0397elen", ["Helen"]) == "Helen"  # Greek capital Eta
    assert aliases.look_alike("\u039a\u0399\u039c", ["Kim"]) == "Kim"  # Greek KIM
    assert aliases.look_alike("\u0421lient B", ["Client B"]) == "Client B"  # Cyrillic Es


def test_names_that_read_differently_are_not_look_alikes():
    assert aliases.look_alike("Sal", ["Sam"]) is None
    assert aliases.look_alike("Client 1", ["Client l", "Client I"]) is None  # digits kept
    assert aliases.look_alike("Zoë", ["Zoe"]) is None  # the accent shows
    assert aliases.look_alike("Саша", ["Маша"]) is None  # Cyrillic names of their own
    assert aliases.look_alike("Sam", ["Sam"]) is None  # the same name is "exists", not this


async def test_the_six_sams_are_one_relationship(redis, clock):
    rapport, _ = await make_service(redis, clock)
    me = actor()
    assert (await rapport.command(me, "add Sam sessions=8", DM)).kind != "error"
    for alias in SIX[1:]:
        reply = await rapport.command(me, f"add {alias}", DM)
        assert reply.kind == "error", alias
        if alias in CYRILLIC:
            assert "looks just like Sam" in reply.summary  # the existing name is shown
        else:
            assert "already have a relationship called Sam" in reply.summary
    index = await redis.hgetall(keys.owner_aliases(TENANT, "u1"))
    assert list(index) == ["sam"]
    listed = await rapport.command(me, "list", DM)
    assert listed.summary.count("Sam") == 1
    for alias in INVISIBLE:  # typed with an invisible character, still finds Sam
        history = await rapport.command(me, f"history {alias}", DM)
        assert history.kind != "error" and "Sam" in history.summary


async def test_rename_to_a_look_alike_is_refused_but_to_its_own_case_is_not(redis, clock):
    rapport, _ = await make_service(redis, clock)
    me = actor()
    await rapport.command(me, "add Sam", DM)
    await rapport.command(me, "add Kim", DM)
    reply = await rapport.command(me, "rename Kim to S\u0430m", DM)
    assert reply.kind == "error" and "looks just like Sam" in reply.summary
    assert (await rapport.command(me, "rename Sam to SAM", DM)).kind != "error"
    assert (await rapport.command(me, "history Kim", DM)).kind != "error"


async def _legacy(rapport, redis, alias: str, rid: str) -> Relationship:
    """A relationship stored by the previous version: its alias and key kept the format
    characters (the key was only NFKC and case-folded)."""
    me = actor()
    await rapport.command(me, "add Placeholder", DM)
    placeholder = await rapport.ctx.store.find(TENANT, "u1", "placeholder")
    rel = replace(placeholder, id=rid, alias=alias)
    await rapport.ctx.store.add(rel, alias.casefold())
    await redis.hdel(keys.owner_aliases(TENANT, "u1"), "placeholder")
    return rel


async def test_aliases_stored_with_format_characters_keep_working(redis, clock):
    rapport, _ = await make_service(redis, clock)
    me = actor()
    await _legacy(rapport, redis, "S\u00adam", "legacy1")
    history = await rapport.command(me, "history Sam", DM)
    assert history.kind != "error"
    assert (await rapport.command(me, "log Sam", DM)).kind != "error"
    # a new "Sam" is the same name: refused, not a second relationship
    assert (await rapport.command(me, "add Sam", DM)).kind == "error"
    renamed = await rapport.command(me, "rename Sam to Kim", DM)
    assert renamed.kind != "error"
    assert await redis.hgetall(keys.owner_aliases(TENANT, "u1")) == {"kim": "legacy1"}


async def test_forgetting_an_old_alias_removes_its_stored_key(redis, clock):
    rapport, _ = await make_service(redis, clock)
    me = actor()
    await _legacy(rapport, redis, "Sam\u2060", "legacy2")
    await rapport.command(me, "forget Sam", DM)
    assert (await rapport.command(me, "forget Sam confirm", DM)).kind != "error"
    assert await redis.hgetall(keys.owner_aliases(TENANT, "u1")) == {}


async def test_two_old_look_alikes_are_not_guessed_between(redis, clock):
    rapport, _ = await make_service(redis, clock)
    await _legacy(rapport, redis, "S\u00adam", "legacy1")
    await _legacy(rapport, redis, "Sam\u2060", "legacy2")
    reply = await rapport.command(actor(), "history Sam", DM)
    assert reply.kind == "error" and "More than one" in reply.summary


async def test_a_name_typed_as_it_reads_finds_the_look_alike_stored(redis, clock):
    """Added with a Cyrillic letter (from a pasted name), typed later on a Latin keyboard:
    what `list` shows is what the user types, so it is found, and never a second one."""
    rapport, _ = await make_service(redis, clock)
    me = actor()
    assert (await rapport.command(me, "add \u0405am sessions=8", DM)).kind != "error"
    history = await rapport.command(me, "history Sam", DM)
    assert history.kind != "error" and "\u0405am" in history.summary
    assert (await rapport.command(me, "history Pam", DM)).kind == "error"
