"""Finding relationships by alias, and refusing a new alias that looks like one in use.

Aliases are matched by `bot.core.aliases.key`. Keys stored before format characters were
dropped may still hold them: a lookup that misses reads the owner's (small) alias index
once and matches every stored key by its normal form, so old aliases keep working.
"""

from __future__ import annotations

from bot.core import aliases, views
from bot.core.messages import Message
from bot.core.models import Relationship
from bot.service.api import Actor
from bot.service.context import Context


async def find(ctx: Context, actor: Actor, alias: str) -> Relationship | Message | None:
    """The relationship `alias` names; an error if several old ones read the same; None."""
    rel = await ctx.store.find(actor.tenant, actor.user, aliases.key(alias))
    if rel is not None:
        return rel
    index = await ctx.store.alias_index(actor.tenant, actor.user)
    # Then one that reads the same (look-alikes are refused when added, so at most one
    # unless stored before that rule): the user typed what they saw in `list`.
    rids = aliases.matching(index, alias) or aliases.reading_like(index, alias)
    if len(rids) > 1:
        return views.say(ctx.prompts, "alias_ambiguous", kind="error", alias=alias)
    return await ctx.store.relationship(actor.tenant, rids[0]) if rids else None


async def stored_key(ctx: Context, rel: Relationship) -> str:
    """The key under which `rel` is in its owner's alias index (an old one may differ from
    today's key for its alias)."""
    wanted = aliases.key(rel.alias)
    index = await ctx.store.alias_index(rel.tenant, rel.owner)
    if index.get(wanted) == rel.id:
        return wanted
    return next((stored for stored, rid in index.items() if rid == rel.id), wanted)


async def refuse_look_alike(
    ctx: Context, actor: Actor, alias: str, renaming: str | None = None
) -> Message | None:
    """The refusal when `alias` is, or reads like, another of the actor's relationships, else None.
    `renaming`: the id of the relationship being renamed (its own name is no conflict)."""
    index = await ctx.store.alias_index(actor.tenant, actor.user)
    others = {stored: rid for stored, rid in index.items() if rid != renaming}
    same = aliases.matching(others, alias)  # the same name, stored under an older key
    clash = None if same else aliases.look_alike(alias, others)
    if not same and clash is None:
        return None
    rid = same[0] if same else others[clash or ""]
    existing = await ctx.store.relationship(actor.tenant, rid)
    name = existing.alias if existing is not None else alias
    if same:
        return views.say(ctx.prompts, "exists", kind="error", alias=name)
    return views.say(ctx.prompts, "looks_like", kind="error", alias=alias, existing=name)
