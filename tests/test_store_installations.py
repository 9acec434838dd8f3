"""The Redis installation store as bolt uses it: users' own tokens, revoked tokens."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import Installation

from bot.store.crypto import TextCipher
from bot.store.installations import RedisInstallationStore
from tests.service_helpers import KEY


def _install(user: str, user_token: str | None = None) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=None,
        team_id="T1",
        bot_token="xoxb-bot-1",
        bot_id="B1",
        bot_user_id="UB1",
        bot_scopes="commands,chat:write",
        user_id=user,
        user_token=user_token,
        user_scopes="search:read" if user_token else None,
    )


async def _values(redis) -> str:
    """Every string value under the Slack installation keys."""
    keys = [k async for k in redis.scan_iter(match="*:slack:*", _type="STRING")]
    return " ".join([str(await redis.get(k)) for k in keys])


async def test_a_users_own_token_is_found_for_them_and_revoked_alone(redis) -> None:
    store = RedisInstallationStore(redis, TextCipher(KEY))
    await store.async_save(_install("UANN", "xoxp-ann"))
    await store.async_save(_install("UBOB", "xoxp-bob"))  # the latest installation
    raw = await _values(redis)
    assert "xoxp-" not in raw and "xoxb-" not in raw  # every token sealed
    ann = await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="UANN")
    assert ann is not None and ann.user_token == "xoxp-ann" and ann.bot_token == "xoxb-bot-1"

    # tokens_revoked for Bob's user token: his goes, the bot and Ann's stay
    await store.async_delete_installation(enterprise_id=None, team_id="T1", user_id="UBOB")
    assert (
        await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="UBOB")
        is None
    )
    latest = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert latest is not None and latest.user_token is None and latest.bot_token == "xoxb-bot-1"
    assert (await store.async_find_bot(enterprise_id=None, team_id="T1")).bot_token == "xoxb-bot-1"

    # tokens_revoked for the bot: no record keeps the bot token
    await store.async_delete_bot(enterprise_id=None, team_id="T1")
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    for user in (None, "UANN"):
        found = await store.async_find_installation(enterprise_id=None, team_id="T1", user_id=user)
        assert found is not None and found.bot_token is None
    cipher = TextCipher(KEY)
    sealed = [
        w for w in (await _values(redis)).replace('"', " ").split() if w.startswith("fernet:")
    ]
    assert "xoxb-bot-1" not in [cipher.open(s) for s in sealed]

    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert [k async for k in redis.scan_iter(match="*slack:T1*")] == []


def test_the_store_never_shows_a_token_in_its_repr(redis) -> None:
    assert "xox" not in repr(RedisInstallationStore(redis, TextCipher(KEY)))
