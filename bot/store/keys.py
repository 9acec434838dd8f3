"""Every Redis key Rapport uses, named here and nowhere else.

Tenant data lives under one hash tag per tenant (`{slack:T1}`), so every multi-key
operation on a tenant stays in one Redis Cluster slot. The due-queue is infrastructure
shared by all tenants and has a hash tag of its own.
"""

from __future__ import annotations

PREFIX = "rapport"


def tenant(t: str) -> str:
    return f"{PREFIX}:{{{t}}}"


# --- the due-queue (one slot of its own) -------------------------------------------
QUEUE = f"{PREFIX}:{{queue}}"
QUEUE_DUE = f"{QUEUE}:due"  # zset: job id -> due time (epoch seconds)
QUEUE_JOBS = f"{QUEUE}:jobs"  # hash: job id -> job JSON
QUEUE_LEASES = f"{QUEUE}:leases"  # zset: job id -> lease expiry (epoch seconds)
QUEUE_OWNERS = f"{QUEUE}:owners"  # hash: job id -> claim token
QUEUE_POISON = f"{QUEUE}:poison"  # hash: job id -> raw value that could not be read
QUEUE_DONE_PREFIX = f"{QUEUE}:done:"  # + job id, SET NX EX: the idempotency key


def queue_done(job_id: str) -> str:
    return QUEUE_DONE_PREFIX + job_id


# --- per tenant ----------------------------------------------------------------------
def relationship(t: str, rid: str) -> str:
    return f"{tenant(t)}:rel:{rid}"


def owner_aliases(t: str, user: str) -> str:
    """hash: alias key (casefolded) -> relationship id, for one practitioner."""
    return f"{tenant(t)}:user:{user}:aliases"


def checkin(t: str, rid: str, number: int) -> str:
    return f"{tenant(t)}:rel:{rid}:checkin:{number}"


def checkin_index(t: str, rid: str) -> str:
    """zset: check-in number -> session time, for listing a relationship's check-ins."""
    return f"{tenant(t)}:rel:{rid}:checkins"


def aggregate(t: str, rid: str) -> str:
    """JSON: running aggregates, drift state and a bounded recent window."""
    return f"{tenant(t)}:rel:{rid}:agg"


def practitioner(t: str, user: str) -> str:
    return f"{tenant(t)}:user:{user}"


def practitioners(t: str) -> str:
    """set: user ids of everyone with a relationship in this tenant."""
    return f"{tenant(t)}:users"


def digest(t: str, channel: str) -> str:
    return f"{tenant(t)}:digest:{channel}"


def digests(t: str) -> str:
    """set: channels with a team digest."""
    return f"{tenant(t)}:digests"


def digest_lock(t: str, channel: str, period: str) -> str:
    return f"{tenant(t)}:digest:{channel}:posted:{period}"


def event_seen(t: str, event_id: str) -> str:
    return f"{tenant(t)}:event:{event_id}"


def pending_forget(t: str, user: str) -> str:
    return f"{tenant(t)}:user:{user}:forget"


def tenant_pattern(t: str) -> str:
    return f"{tenant(t)}:*"


def relationship_pattern(t: str, rid: str) -> str:
    return f"{relationship(t, rid)}*"


def tenant_of(key: str) -> str:
    """The tenant inside a key's hash tag."""
    return key[key.index("{") + 1 : key.index("}")]


def forgetting(t: str) -> str:
    """hash: relationship id -> its check-in count, while `forget` deletes its keys in
    batches (an interrupted forget is finished from here)."""
    return f"{tenant(t)}:forgetting"


# --- Slack installations (multi-workspace mode) ----------------------------------------
# Kept under the tenant's own hash tag, so purging a workspace removes them with the rest.
def slack_installation(t: str) -> str:
    """JSON: the workspace's latest installation (tokens sealed)."""
    return f"{tenant(t)}:slack:installation"


def slack_installer(t: str, user: str) -> str:
    """JSON: the installation made by one user (their own user token, if any; sealed)."""
    return f"{tenant(t)}:slack:installer:{user}"


def slack_installers(t: str) -> str:
    """set: users with an installation of their own in this workspace."""
    return f"{tenant(t)}:slack:installers"


def slack_bot(t: str) -> str:
    """JSON: the workspace's bot (token and refresh token sealed)."""
    return f"{tenant(t)}:slack:bot"


def uninstalled(t: str) -> str:
    """JSON: when the app was uninstalled from this tenant, and when its data goes."""
    return f"{tenant(t)}:uninstalled"


OAUTH = f"{PREFIX}:{{oauth}}"  # OAuth states are no tenant's: a slot of their own


def oauth_state(state: str) -> str:
    """The issue time of an OAuth `state`, deleted when it is consumed (single use)."""
    return f"{OAUTH}:state:{state}"


# --- the client's side (issue 11) ----------------------------------------------------
def client_answer(t: str, rid: str, checkin_number: int) -> str:
    """JSON: the client's answer for one session (its comment sealed like other free text)."""
    return f"{relationship(t, rid)}:client:{checkin_number}"


def client_series(t: str, rid: str) -> str:
    """JSON: the client's series (recent answers, drift state of the client's ratings)."""
    return f"{relationship(t, rid)}:client"


def client_rate(scope: str, ident: str, window: int) -> str:
    """counter with a TTL: requests to client pages per token digest or per address in one
    window. Not a tenant's (a forged token names none): a hash tag per counter."""
    return f"{PREFIX}:{{rate:{scope}:{ident}}}:{window}"


def chart(t: str, fingerprint: str) -> str:
    """string: a chart's PNG (base64), named by the hash of its data, with a TTL."""
    return f"{tenant(t)}:chart:{fingerprint}"


def relationship_charts(t: str, rid: str) -> str:
    """set: the names of a relationship's cached charts, so `forget` deletes them too."""
    return f"{relationship(t, rid)}:charts"


def digest_weeks(t: str) -> str:
    """hash: ISO week -> the team's figures for it (JSON), once the week has settled."""
    return f"{tenant(t)}:digest:weeks"
