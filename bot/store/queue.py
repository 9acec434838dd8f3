"""The durable due-queue: what is due lives in Redis as data, so any number of workers can poll.

Layout (all keys under the `{queue}` hash tag, so every script runs in one Cluster slot):

- `QUEUE_JOBS`   hash  id -> job JSON (the job as it was put)
- `QUEUE_DUE`    zset  id -> when to try it next (epoch seconds)
- `QUEUE_LEASES` zset  id -> lease expiry; a job is in exactly one of DUE and LEASES
- `QUEUE_OWNERS` hash  id -> "<attempt> <token>" of its latest claim (kept across retries
  so the attempt count survives; a token owns a job only while the job is in LEASES)
- `QUEUE_POISON` hash  id -> raw value that could not be read or kept failing
- `queue_done(id)`     string, SET NX EX: the idempotency key (see `DueQueue.begin`)

Every state change is one Lua script (one round trip, atomic), using only Redis 6.2 commands.
Works with clients made with or without `decode_responses`.

Job ids must name one occurrence (e.g. `checkin:<tenant>:<relationship>:<session>`): once an
id is done, putting it again is a no-op for as long as its idempotency key lives.

The rule every handler follows (sessions, sends, reminders, 'missed', reviews, `back`/`resume`,
digests): **once the platform accepted a message, nothing that fails afterwards sends it
again.** A handler reaches the platform only through its job's `Sends` (`current_sends()`;
the service's notifier wrapper does this): each platform call has a label, and a label this
job already sent gives back the platform's reference instead of a second call. After its
sends a handler only does bookkeeping, and that bookkeeping must be safe to run again
(compare-and-set writes that see their own earlier effect, follow-ups put by id). When the
bookkeeping fails after a send, `drain` runs the handler again in place (same claim, the
sends known, so no platform call); if Redis is still failing it gives the job back marked
sent (the gate keeps `sent <labels>`), and the next attempt finishes the bookkeeping without
sending. If even that cannot be written (Redis unreachable for the whole of it, or the worker
killed), the next attempt finds the gate of a claim whose outcome is unknown and drops the
job, as it does for a worker killed mid-send: at most once, never twice. A revoked claim
(cancelled, forgotten, rescheduled) puts no follow-ups.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from bot.store import keys
from bot.store.errors import translated

log = logging.getLogger(__name__)

JOB_VERSION = 1
MAX_CLAIM = 1000  # Lua's unpack() has a stack limit; claims are batched well below it
DONE_TTL_SECONDS = 7 * 24 * 3600
BACKOFF_SECONDS = (30.0, 120.0, 600.0, 1800.0, 3600.0)  # by attempt; the last one is the cap
MAX_ATTEMPTS = 6
PURGE_PASSES = 4


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    tenant: str
    due: float  # epoch seconds: when it was put for (retries move only its place in the queue)
    payload: Mapping[str, Any]

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": JOB_VERSION,
                "id": self.id,
                "kind": self.kind,
                "tenant": self.tenant,
                "due": self.due,
                "payload": dict(self.payload),
            },
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Job:
        """Parse a stored job; ValueError for anything that is not a version-1 job."""
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("v") != JOB_VERSION:
            raise ValueError(f"not a version {JOB_VERSION} job")
        for name in ("id", "kind", "tenant"):
            if not isinstance(data.get(name), str):
                raise ValueError(f"job field {name!r} must be a string")
        due = data.get("due")
        if isinstance(due, bool) or not isinstance(due, int | float):
            raise ValueError("job field 'due' must be a number")
        if not isinstance(data.get("payload"), dict):
            raise ValueError("job field 'payload' must be an object")
        return cls(data["id"], data["kind"], data["tenant"], float(due), data["payload"])


@dataclass(frozen=True)
class Claim:
    job: Job
    token: str
    attempt: int  # 1 on the first claim, counting lease expiries and retries


def _s(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _num(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"time must be finite, got {value!r}")
    return repr(float(value))


# Shared Lua: does `token` own job `id` right now? (token matches and the lease is held)
_OWNER_OF = """
local function token_of(owner)
  if not owner then return nil end
  return string.match(owner, '^%d+ (.*)$')
end
"""

# Move every lease that expired at or before `now` back to DUE, due `now`. Returns the count.
_REAP_FN = """
local function reap(due, leases, now)
  local total = 0
  while true do
    local ids = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, 1000)
    if #ids == 0 then return total end
    redis.call('ZREM', leases, unpack(ids))
    local pairs_ = {}
    for _, id in ipairs(ids) do
      pairs_[#pairs_ + 1] = now
      pairs_[#pairs_ + 1] = id
    end
    redis.call('ZADD', due, unpack(pairs_))
    total = total + #ids
    if #ids < 1000 then return total end
  end
end
"""

# KEYS: due, leases, jobs, owners, poison, done   ARGV: id, due, json
_PUT = """
if redis.call('EXISTS', KEYS[6]) == 1 then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return 1
"""

# Complete (or give back) a claim together with the handler's follow-up jobs, in one round
# trip. A claim that no longer holds its lease (cancelled by `forget`, reclaimed, rescheduled)
# puts nothing. The puts come before the completion, as they did when the handler made them,
# so a handler that reschedules its own job still revokes its lease (and is not completed).
# KEYS: due, leases, jobs, owners, poison, done(claimed id), done(put 1), done(put 2), ...
# ARGV: claimed id ('' = nothing to complete), token, ttl, mode, at, then id, due, json per put.
# mode: 'done' completes; 'retry' gives the job back due `at` and lifts this claim's gate (it
# sent nothing); 'sent:<labels>' gives it back due `at`, the gate kept as `sent <labels>`.
# Returns {completed or given back (0/1), puts stored...}.
_FINISH = (
    _OWNER_OF
    + """
local due, leases, jobs, owners, poison = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, token, mode = ARGV[1], ARGV[2], ARGV[4]
if id ~= '' and (token_of(redis.call('HGET', owners, id)) ~= token
    or not redis.call('ZSCORE', leases, id)) then
  return {0}
end
local stored = {}
local k = 7
for a = 6, #ARGV, 3 do
  local put = ARGV[a]
  if redis.call('EXISTS', KEYS[k]) == 1 then
    stored[#stored + 1] = 0
  else
    redis.call('HSET', jobs, put, ARGV[a + 2])
    redis.call('ZREM', leases, put)
    redis.call('ZADD', due, ARGV[a + 1], put)
    redis.call('HDEL', poison, put)
    stored[#stored + 1] = 1
  end
  k = k + 1
end
local done = 0
if id ~= '' and redis.call('ZREM', leases, id) == 1 then
  done = 1
  if mode == 'done' then
    redis.call('HDEL', jobs, id)
    redis.call('HDEL', owners, id)
    redis.call('SET', KEYS[6], token, 'EX', ARGV[3])
  else
    redis.call('ZADD', due, ARGV[5], id)
    local gate = redis.call('GET', KEYS[6])
    local mine = gate == token or (gate and string.sub(gate, 1, #token + 1) == token .. ' ')
    if mode == 'retry' then
      if gate == token then redis.call('DEL', KEYS[6]) end
    elseif mine then
      redis.call('SET', KEYS[6], 'sent ' .. string.sub(mode, 6), 'EX', ARGV[3])
    end
  end
end
return {done, unpack(stored)}
"""
)

# KEYS: due, leases, jobs, owners, poison   ARGV: id
_CANCEL = """
local n = redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return n
"""

# KEYS: due, leases
_REAP = (
    _REAP_FN
    + """
return reap(KEYS[1], KEYS[2], ARGV[1])
"""
)

# KEYS: due, leases, jobs, owners, poison   ARGV: now, limit, lease_until, token_prefix
# Returns {{id, token, attempt, json}..., poisoned ids}.
_CLAIM = (
    _REAP_FN
    + """
local due, leases, jobs, owners, poison = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, until_, prefix = ARGV[1], ARGV[3], ARGV[4]
reap(due, leases, now)
local ids = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return {{}, {}} end
redis.call('ZREM', due, unpack(ids))
local raws = redis.call('HMGET', jobs, unpack(ids))
local prev = redis.call('HMGET', owners, unpack(ids))
local claimed, poisoned, lease_args, owner_args = {}, {}, {}, {}
for i, id in ipairs(ids) do
  local raw = raws[i]
  if raw then  -- a due entry without a job body cannot happen through this module; drop it
    local ok, value = pcall(cjson.decode, raw)
    if ok and type(value) == 'table' then
      local attempt = 1
      if prev[i] then attempt = (tonumber(string.match(prev[i], '^(%d+)')) or 0) + 1 end
      local token = prefix .. '.' .. i
      owner_args[#owner_args + 1] = id
      owner_args[#owner_args + 1] = attempt .. ' ' .. token
      lease_args[#lease_args + 1] = until_
      lease_args[#lease_args + 1] = id
      claimed[#claimed + 1] = {id, token, attempt, raw}
    else
      redis.call('HSET', poison, id, raw)
      redis.call('HDEL', jobs, id)
      redis.call('HDEL', owners, id)
      poisoned[#poisoned + 1] = id
    end
  end
end
if #owner_args > 0 then
  redis.call('HSET', owners, unpack(owner_args))
  redis.call('ZADD', leases, unpack(lease_args))
end
return {claimed, poisoned}
"""
)

# KEYS: owners, leases, done   ARGV: id, token, ttl
# The gate (`done`) holds: `<token>` (that claim began; what it sent is not known), `<token>
# <labels>` (that claim began knowing `labels` were sent), `sent <labels>` (a claim sent
# `labels` and gave the job back). Returns {0} (not ours), {1, labels} (ours: send what is not
# in labels) or {2} (an earlier claim began and vanished: what it sent is unknown, so the job
# is dropped; at most once).
_BEGIN = (
    _OWNER_OF
    + """
if token_of(redis.call('HGET', KEYS[1], ARGV[1])) ~= ARGV[2] then return {0} end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {0} end
if redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3], 'NX') then return {1, ''} end
local gate = redis.call('GET', KEYS[3])
-- set by this very claim (a resent command after a lost reply): still ours
if gate == ARGV[2] then return {1, ''} end
if string.sub(gate, 1, #ARGV[2] + 1) == ARGV[2] .. ' ' then
  return {1, string.sub(gate, #ARGV[2] + 2)}
end
if string.sub(gate, 1, 5) == 'sent ' then
  redis.call('SET', KEYS[3], ARGV[2] .. ' ' .. string.sub(gate, 6), 'EX', ARGV[3])
  return {1, string.sub(gate, 6)}
end
return {2}
"""
)

# KEYS: owners, leases, jobs, done   ARGV: id, token, ttl
_COMPLETE = (
    _OWNER_OF
    + """
if token_of(redis.call('HGET', KEYS[1], ARGV[1])) ~= ARGV[2] then return 0 end
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SET', KEYS[4], ARGV[2], 'EX', ARGV[3])
return 1
"""
)

# KEYS: owners, leases, due, done   ARGV: id, token, at
_RETRY = (
    _OWNER_OF
    + """
if token_of(redis.call('HGET', KEYS[1], ARGV[1])) ~= ARGV[2] then return 0 end
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
-- this claim's begin failed to send: lift its gate so the next attempt may send
if redis.call('GET', KEYS[4]) == ARGV[2] then redis.call('DEL', KEYS[4]) end
return 1
"""
)

# KEYS: owners, leases, jobs, poison, done   ARGV: id, token
_BURY = (
    _OWNER_OF
    + """
if token_of(redis.call('HGET', KEYS[1], ARGV[1])) ~= ARGV[2] then return 0 end
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
local raw = redis.call('HGET', KEYS[3], ARGV[1])
if raw then redis.call('HSET', KEYS[4], ARGV[1], raw) end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
-- it was never sent: lift this claim's gate, so putting the job again works
if redis.call('GET', KEYS[5]) == ARGV[2] then redis.call('DEL', KEYS[5]) end
return 1
"""
)


_deferred: ContextVar[list[Job] | None] = ContextVar("rapport_deferred_puts", default=None)


@dataclass
class Sends:
    """What one job has had the platform do: label -> the platform's reference (None if it
    gave none), from earlier claims (the gate) and this one. `new`: this claim made a
    platform call (its bookkeeping must not lift the gate)."""

    job: Job
    done: dict[str, str | None] = field(default_factory=dict)
    new: bool = False
    _seen: dict[str, int] = field(default_factory=dict)

    def label(self, what: str) -> str:
        """The next label for `what` in this run (`checkin`, then `checkin#2`, ...)."""
        n = self._seen[what] = self._seen.get(what, 0) + 1
        return what if n == 1 else f"{what}#{n}"

    _resumed: bool = False

    def restart(self) -> None:
        """A run of the handler begins (the first, or one finishing an earlier's work)."""
        self._seen.clear()
        self._resumed = bool(self.done)

    @property
    def resumed(self) -> bool:
        """An earlier run of this job sent something: this run finishes its bookkeeping."""
        return self._resumed

    def encode(self) -> str:
        return json.dumps(self.done, separators=(",", ":"), sort_keys=True)

    @staticmethod
    def parse(raw: str) -> dict[str, str | None]:
        if not raw or raw == "*":
            return {}
        try:
            found = json.loads(raw)
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}


_sends: ContextVar[Sends | None] = ContextVar("rapport_sends", default=None)


def current_sends() -> Sends | None:
    """The running due job's sends (None outside a due job)."""
    return _sends.get()


@translated
class DueQueue:
    """A sorted set of jobs by due time, claimed with a lease, sent behind an idempotency key.

    The guarantee, for a worker that follows claim -> begin -> send -> complete (see `drain`):
    each job's side effect happens at most once, and exactly once unless a worker dies (or its
    send fails after the message went out) between `begin` and `complete`. A worker that crashes
    after `claim` loses nothing: its lease expires and `reap` (also run by every `claim`) puts
    the job back. A slow worker whose lease expired cannot send twice: `begin` is a SET NX on
    the job's idempotency key and only a token that still holds the lease can take it.
    """

    def __init__(
        self, redis: Redis, lease_seconds: float = 60.0, done_ttl: float = DONE_TTL_SECONDS
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.redis = redis
        self.lease_seconds = float(lease_seconds)
        self.done_ttl = max(1, math.ceil(done_ttl))
        self._put = redis.register_script(_PUT)
        self._cancel = redis.register_script(_CANCEL)
        self._reap = redis.register_script(_REAP)
        self._claim = redis.register_script(_CLAIM)
        self._begin = redis.register_script(_BEGIN)
        self._complete = redis.register_script(_COMPLETE)
        self._retry = redis.register_script(_RETRY)
        self._bury = redis.register_script(_BURY)
        self._finish = redis.register_script(_FINISH)

    _STATE = (keys.QUEUE_DUE, keys.QUEUE_LEASES, keys.QUEUE_JOBS, keys.QUEUE_OWNERS)

    async def put(self, job: Job) -> bool:
        """Schedule `job`, or reschedule it by id (new due time and payload).

        A job in flight is taken back (its worker's lease is revoked, so it will not send).
        No-op, returning False, if the id is already done or being sent.
        """
        if not job.id:
            raise ValueError("a job needs an id")
        deferred = _deferred.get()
        if deferred is not None:
            deferred.append(job)  # written with the claim's completion (see `deferring`)
            return True
        raw = job.to_json()
        args = [job.id, _num(job.due), raw]
        stored = await self._put(
            keys=[*self._STATE, keys.QUEUE_POISON, keys.queue_done(job.id)], args=args
        )
        return bool(stored)

    @contextmanager
    def deferring(self) -> Iterator[list[Job]]:
        """Inside this block, `put` only collects its jobs (and says True); the caller writes
        them with `finish` (with a completion) or `put_all`. One due job's follow-ups (its
        reminder, its 'missed', the next session) then cost no round trip of their own."""
        jobs: list[Job] = []
        token = _deferred.set(jobs)
        try:
            yield jobs
        finally:
            _deferred.reset(token)

    def drop_deferred(self) -> None:
        """Forget the follow-ups collected so far in this `deferring` block (the job's
        relationship was forgotten: nothing naming it is queued)."""
        jobs = _deferred.get()
        if jobs is not None:
            jobs.clear()

    async def finish(
        self, claim: Claim | None, jobs: list[Job], mode: str = "done", at: float = 0.0
    ) -> bool:
        """Put `jobs` (in order, as `put` would), then `complete` the claim: one script.
        A claim that lost its lease puts nothing. With `mode` "retry" the job is given back
        due `at` (its gate lifted: nothing was sent); with "sent:<labels>" it is given back
        with its gate kept as sent (see `Sends`).

        Returns what `complete` would (True with no claim)."""
        keys_ = [*self._STATE, keys.QUEUE_POISON]
        keys_.append(keys.queue_done(claim.job.id) if claim else keys.queue_done(""))
        args: list[str | int] = [claim.job.id if claim else "", claim.token if claim else ""]
        args += [self.done_ttl, mode, _num(at)]
        for job in jobs:
            if not job.id:
                raise ValueError("a job needs an id")
            keys_.append(keys.queue_done(job.id))
            args += [job.id, _num(job.due), job.to_json()]
        result = await self._finish(keys=keys_, args=args)
        return bool(int(result[0])) if claim else True

    async def put_all(self, jobs: list[Job]) -> None:
        if jobs:
            await self.finish(None, jobs)

    async def cancel(self, job_id: str) -> bool:
        """Forget a job wherever it is; a worker holding it loses its lease.

        True if it was queued.
        """
        n = await self._cancel(keys=[*self._STATE, keys.QUEUE_POISON], args=[job_id])
        return bool(n)

    async def purge(self, fragment: str) -> int:
        """Cancel every job whose id contains `fragment`, and drop its idempotency key.

        For `forget`: nothing that names a deleted relationship may stay behind. A scan, so
        only for rare, user-initiated deletions. Passes repeat until one finds nothing: a
        worker that completed a claim during a pass (before the pass reached it) may have put
        follow-ups where that pass had already looked.
        """
        removed = 0
        for _ in range(PURGE_PASSES):
            found = await self._purge_pass(f"*{fragment}*")
            removed += found
            if not found:
                break
        return removed

    async def _purge_pass(self, pattern: str) -> int:
        removed = 0
        async for job_id, _raw in self.redis.hscan_iter(keys.QUEUE_JOBS, match=pattern):
            removed += await self.cancel(_s(job_id))
        async for job_id, _raw in self.redis.hscan_iter(keys.QUEUE_POISON, match=pattern):
            removed += await self.cancel(_s(job_id))
        done = [k async for k in self.redis.scan_iter(match=keys.queue_done(pattern))]
        if done:
            removed += int(await self.redis.delete(*done))
        return removed

    async def get(self, job_id: str) -> Job | None:
        raw = await self.redis.hget(keys.QUEUE_JOBS, job_id)
        return None if raw is None else Job.from_json(raw)

    async def size(self) -> int:
        """Jobs waiting or in flight (leased)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(keys.QUEUE_DUE)
            pipe.zcard(keys.QUEUE_LEASES)
            waiting, leased = await pipe.execute()
        return int(waiting) + int(leased)

    async def due_count(self, now: float) -> int:
        """Jobs due at `now` and not claimed (expired leases count once reaped)."""
        return int(await self.redis.zcount(keys.QUEUE_DUE, "-inf", _num(now)))

    async def poisoned(self) -> dict[str, str]:
        """Jobs set aside: id -> the raw value kept for a human to look at."""
        found = await self.redis.hgetall(keys.QUEUE_POISON)
        return {_s(k): _s(v) for k, v in found.items()}

    async def reap(self, now: float) -> int:
        """Put every job whose lease expired by `now` back in the queue, due now."""
        return int(await self._reap(keys=[keys.QUEUE_DUE, keys.QUEUE_LEASES], args=[_num(now)]))

    async def claim(self, now: float, limit: int = 100, owner: str = "") -> list[Claim]:
        """Lease up to `limit` jobs due at `now`, earliest first, for `lease_seconds`.

        Reaps expired leases first, in the same script. Unreadable jobs are moved to
        QUEUE_POISON with a warning and do not hold up the others.
        """
        if not 1 <= limit <= MAX_CLAIM:
            raise ValueError(f"limit must be 1..{MAX_CLAIM}")
        prefix = f"{owner}:{secrets.token_hex(8)}" if owner else secrets.token_hex(8)
        until = _num(now + self.lease_seconds)
        claimed, poisoned = await self._claim(
            keys=[*self._STATE, keys.QUEUE_POISON], args=[_num(now), limit, until, prefix]
        )
        for job_id in poisoned:
            log.warning("due-queue: job %s is unreadable JSON; moved to poison", _s(job_id))
        claims = []
        for job_id, token, attempt, raw in claimed:
            job_id, token = _s(job_id), _s(token)
            try:
                job = Job.from_json(raw)
            except ValueError as e:
                await self._bury_held(job_id, token)
                log.warning("due-queue: job %s is not a valid job (%s); moved to poison", job_id, e)
                continue
            claims.append(Claim(job, token, int(attempt)))
        return claims

    async def begin(self, claim: Claim) -> bool:
        """The idempotency gate: call right before the side effect; send only if True.

        Atomically, if `claim` still holds its lease, SET NX the job's idempotency key
        (`queue_done(id)`, value = the token). False means: the lease was lost (the job is
        someone else's now), or some claim already began this job, i.e. it was sent or is being
        sent; the caller must not send, and should `complete` to drop its copy.

        Why at-most-once from here: once the key is set nothing can tell "sent" from "about to
        send" after a crash, and Redis cannot be in one transaction with Slack or Teams. The two
        choices are to resend (a practitioner may get the same check-in twice) or to drop (one
        check-in is lost, seen in the log and covered by the unanswered-check-in reminder).
        A duplicate DM is the worse failure for this product, so a worker that dies between
        `begin` and the send loses that one message; the window is one HTTP call wide. If the
        send fails with an exception, the worker gives the job back with the gate lifted
        (`finish`, mode "retry"); if a send had gone out first, the gate is kept and marked
        sent instead (the rule at the top of this module).
        Calling `begin` twice with the same claim returns True both times (safe to resend).
        """
        sends = await self.start(claim)
        return sends is not None

    async def start(self, claim: Claim) -> Sends | None:
        """The gate, as `begin`, telling what earlier claims of this job sent: None (not
        ours: drop our copy), or the `Sends` to run the handler with."""
        found = await self._begin(
            keys=[keys.QUEUE_OWNERS, keys.QUEUE_LEASES, keys.queue_done(claim.job.id)],
            args=[claim.job.id, claim.token, self.done_ttl],
        )
        code = int(found[0])
        if code != 1:  # not ours, or an earlier claim began and vanished: sent at most once
            return None
        return Sends(claim.job, dict(Sends.parse(_s(found[1]) if len(found) > 1 else "")))

    async def complete(self, claim: Claim) -> bool:
        """Remove the job for good and keep its idempotency key for `done_ttl`.

        False if the lease was lost (reaped, reclaimed, rescheduled or cancelled): nothing changed.
        """
        n = await self._complete(
            keys=[
                keys.QUEUE_OWNERS,
                keys.QUEUE_LEASES,
                keys.QUEUE_JOBS,
                keys.queue_done(claim.job.id),
            ],
            args=[claim.job.id, claim.token, self.done_ttl],
        )
        return bool(n)

    async def retry(self, claim: Claim, at: float) -> bool:
        """Give the job back, due at `at` (backoff), if `claim` still holds it.

        Also lifts the idempotency gate this claim took in `begin`: the handler raised, so the
        message is taken as not sent. False if the lease was lost: nothing changed.
        """
        n = await self._retry(
            keys=[
                keys.QUEUE_OWNERS,
                keys.QUEUE_LEASES,
                keys.QUEUE_DUE,
                keys.queue_done(claim.job.id),
            ],
            args=[claim.job.id, claim.token, _num(at)],
        )
        return bool(n)

    async def bury(self, claim: Claim) -> bool:
        """Move a held job to QUEUE_POISON (raw JSON kept) so it is never tried again."""
        return await self._bury_held(claim.job.id, claim.token)

    async def _bury_held(self, job_id: str, token: str) -> bool:
        n = await self._bury(
            keys=[
                keys.QUEUE_OWNERS,
                keys.QUEUE_LEASES,
                keys.QUEUE_JOBS,
                keys.QUEUE_POISON,
                keys.queue_done(job_id),
            ],
            args=[job_id, token],
        )
        return bool(n)


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): 30s, 2m, 10m, 30m, 1h."""
    return BACKOFF_SECONDS[min(max(attempt, 1), len(BACKOFF_SECONDS)) - 1]


async def drain(
    queue: DueQueue,
    handle: Callable[[Job], Awaitable[None]],
    now: float,
    limit: int = 100,
    worker: str = "",
    max_attempts: int = MAX_ATTEMPTS,
    concurrency: int = 1,
    group: Callable[[Job], str] | None = None,
    in_place: tuple[float, ...] | None = None,
) -> int:
    """Claim what is due at `now` and run `handle` on each job, once. Returns how many ran.

    `handle` performs the side effect (sends the DM). It must raise only when the message did
    not go out: the job is then retried with backoff, and after `max_attempts` it is buried in
    QUEUE_POISON. A job whose gate is already taken (a crashed or slow earlier claim) is dropped.

    With `concurrency` > 1, up to that many jobs run side by side (their Redis and HTTP waits
    overlap); jobs with the same `group` key (e.g. one relationship's) still run one after the
    other, in due order. Each job keeps its own claim, gate and completion.

    `in_place`: the pauses before running a handler again when it failed after a send
    (IN_PLACE by default; see the rule at the top of this module).
    """
    claims = await queue.claim(now, limit, owner=worker)

    pauses = IN_PLACE if in_place is None else in_place

    async def one(claim: Claim) -> int:
        return await _run_claim(queue, handle, claim, now, worker, max_attempts, pauses)

    if concurrency <= 1 or len(claims) <= 1:
        return sum([await one(claim) for claim in claims])
    groups: dict[str, list[Claim]] = {}
    for claim in claims:
        groups.setdefault(group(claim.job) if group else claim.job.id, []).append(claim)
    slots = asyncio.Semaphore(concurrency)

    async def in_order(members: list[Claim]) -> int:
        ran = 0
        for claim in members:
            async with slots:
                ran += await one(claim)
        return ran

    return sum(await asyncio.gather(*(in_order(m) for m in groups.values())))


async def _run_claim(
    queue: DueQueue,
    handle: Callable[[Job], Awaitable[None]],
    claim: Claim,
    now: float,
    worker: str,
    max_attempts: int,
    in_place: tuple[float, ...],
) -> int:
    job = claim.job
    sends = await queue.start(claim)
    if sends is None:
        # Not ours any more (reclaimed, rescheduled or cancelled): drop our copy.
        await queue.complete(claim)
        log.info("due-queue %s: job %s no longer ours; skipped", worker, job.id)
        return 0
    follow_ups, failed = await _attempt(handle, queue, job, sends)
    for pause in in_place if failed is not None and sends.new else ():
        # Sent, then the bookkeeping failed: finish it here, without sending again.
        await asyncio.sleep(pause)
        follow_ups, failed = await _attempt(handle, queue, job, sends)
        if failed is None:
            break
    if failed is None:
        if not await queue.finish(claim, follow_ups):
            log.warning("due-queue %s: job %s ran but its lease was lost", worker, job.id)
        return 1
    await _give_back(queue, claim, sends, follow_ups, failed, now, worker, max_attempts)
    return 0


# Pauses before running a handler again in place when its bookkeeping failed after a send
# (a blip or a full Redis for a moment); past them the job is given back marked sent.
IN_PLACE = (0.2, 0.5, 1.0, 2.0)


async def _attempt(
    handle: Callable[[Job], Awaitable[None]], queue: DueQueue, job: Job, sends: Sends
) -> tuple[list[Job], Exception | None]:
    sends.restart()
    token = _sends.set(sends)
    try:
        with queue.deferring() as follow_ups:
            try:
                await handle(job)
            except Exception as e:  # noqa: BLE001 - any failure: retried (see _give_back)
                return follow_ups, e
        return follow_ups, None
    finally:
        _sends.reset(token)


async def _give_back(
    queue: DueQueue,
    claim: Claim,
    sends: Sends,
    follow_ups: list[Job],
    failed: Exception,
    now: float,
    worker: str,
    max_attempts: int,
) -> None:
    job = claim.job
    if claim.attempt >= max_attempts:
        if await queue.bury(claim):  # (a gate of a claim that sent stays: bury lifts only ours)
            await queue.put_all(follow_ups)
        log.warning(
            "due-queue %s: job %s failed %d times; moved to poison",
            worker,
            job.id,
            claim.attempt,
            exc_info=failed,
        )
        return
    if sends.done:
        # Something went out: never lift the gate; the next attempt only does bookkeeping.
        at = now + backoff(claim.attempt)
        await queue.finish(claim, follow_ups, mode=f"sent:{sends.encode()}", at=at)
        log.warning(
            "due-queue %s: job %s sent, its bookkeeping failed (attempt %d); finishing in %.0fs",
            worker,
            job.id,
            claim.attempt,
            backoff(claim.attempt),
            exc_info=failed,
        )
        return
    await queue.finish(claim, follow_ups, mode="retry", at=now + backoff(claim.attempt))
    log.warning(
        "due-queue %s: job %s failed (attempt %d); retrying in %.0fs",
        worker,
        job.id,
        claim.attempt,
        backoff(claim.attempt),
        exc_info=failed,
    )
