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


def chart(t: str, fingerprint: str) -> str:
    """string: a chart's PNG (base64), named by the hash of its data, with a TTL."""
    return f"{tenant(t)}:chart:{fingerprint}"


def relationship_charts(t: str, rid: str) -> str:
    """set: the names of a relationship's cached charts, so `forget` deletes them too."""
    return f"{relationship(t, rid)}:charts"


def digest_weeks(t: str) -> str:
    """hash: ISO week -> the team's figures for it (JSON), once the week has settled."""
    return f"{tenant(t)}:digest:weeks"
