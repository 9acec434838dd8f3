"""Settings, read once from the environment at start-up and passed in from there."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.signed import derive_secret


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None
    data_dir: Path = Path(".rapport")
    port: int = 3000
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    teams_enabled: bool = False
    teams_app_id: str = ""
    teams_app_password: str = field(default="", repr=False)
    teams_tenant_id: str = ""
    # Teams with no credentials and no authentication, for trying it on one machine: only
    # with TEAMS_LOCAL_MODE=1, served on loopback only (see `teams_problem`).
    teams_local_mode: bool = False
    encryption_key: str | None = field(default=None, repr=False)
    allow_plaintext: bool = False
    prompt_delay_minutes: int = 10
    retention_days: int | None = None
    # The worker: how often it polls the due-queue, how long a claimed job stays leased to
    # it (a worker that dies gives its jobs back after this), and how long SIGTERM waits
    # for the work in hand before the process stops.
    poll_seconds: float = 2.0
    lease_seconds: float = 60.0
    shutdown_seconds: float = 25.0
    # How many due jobs one worker sends at once. 1 keeps the window in which a killed worker
    # can lose a message to one check-in; more is faster (see BENCHMARKS.md).
    dispatch_concurrency: int = 1
    redis_cluster: bool = False  # REDIS_URL names one node of a Redis Cluster
    # Pages the bot hands out (client links, chart images) live under this base URL, behind
    # paths signed with `link_secret` (RAPPORT_LINK_SECRET, else derived from the encryption
    # key; None: no signed pages can be offered).
    public_url: str = "http://localhost:3000"
    client_link_days: int = 7
    link_secret_raw: str | None = field(default=None, repr=False)
    metrics_port: int | None = None  # /metrics on a port of its own (workers serve it there)
    # A worker whose clock is further than this from Redis's refuses to run due jobs: queue
    # times are compared across workers, so a fast clock would send early and steal leases.
    max_clock_skew: float = 5.0
    # Multi-workspace mode (OAuth install): SLACK_CLIENT_ID and SLACK_CLIENT_SECRET with the
    # signing secret and no SLACK_BOT_TOKEN. Data of an uninstalled workspace is kept this
    # many days, so a reinstall finds it, then purged.
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    uninstall_grace_days: int = 30
    rubric_path: Path = Path(__file__).resolve().parent.parent / "rubric.yaml"
    prompts_dir: Path = Path(__file__).resolve().parent.parent / "prompts"

    @property
    def slack_enabled(self) -> bool:
        single = bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))
        return single or self.slack_multi_workspace

    @property
    def slack_multi_workspace(self) -> bool:
        return bool(
            self.slack_client_id
            and self.slack_client_secret
            and self.slack_signing_secret
            and not self.slack_bot_token
        )

    @property
    def socket_mode(self) -> bool:
        # Distribution is over HTTP: Slack lists no Socket Mode app in its Marketplace.
        return bool(self.slack_app_token) and not self.slack_multi_workspace

    @property
    def link_secret(self) -> bytes | None:
        """The secret that signs client links and chart paths."""
        if self.link_secret_raw:
            return derive_secret(self.link_secret_raw, b"rapport link secret v1")
        if self.encryption_key:
            return derive_secret(self.encryption_key.split(",")[0].strip())
        return None


def teams_problem(settings: Settings) -> str | None:
    """Why these Teams settings must not start, or None. Without credentials Teams would
    accept anyone's activities, so that needs the explicit local-mode switch."""
    creds = (settings.teams_app_id, settings.teams_app_password)
    if settings.teams_local_mode:
        if any(creds):
            return (
                "TEAMS_LOCAL_MODE=1 is for trying Teams without credentials: unset it, "
                "or unset TEAMS_APP_ID and TEAMS_APP_PASSWORD"
            )
        if not settings.teams_enabled:
            return "TEAMS_LOCAL_MODE=1 needs TEAMS_ENABLED=1"
        return None
    if settings.teams_enabled and not all(creds):
        missing = " and ".join(
            name
            for name, value in zip(("TEAMS_APP_ID", "TEAMS_APP_PASSWORD"), creds, strict=True)
            if not value
        )
        return (
            f"Teams is on but {missing} is empty, so nobody's requests could be verified. "
            "Set both credentials, or TEAMS_LOCAL_MODE=1 to try Teams on this machine only "
            "(loopback, no authentication)"
        )
    return None


def _int(env: Mapping[str, str], name: str, default: int | None, low: int = 0) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r})") from None
    if value < low:
        raise ConfigError(f"{name} must be at least {low} (got {value})")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, low: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds (got {raw!r})") from None
    if not low <= value <= 86_400:  # also refuses nan and inf
        raise ConfigError(f"{name} must be from {low} to 86400 seconds (got {raw})")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the environment. Raises ConfigError naming the bad variable."""
    env = os.environ if env is None else env
    redis_url = env.get("REDIS_URL") or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    teams_id = env.get("TEAMS_APP_ID", "")
    if _flag(env, "RAPPORT_REDIS_CLUSTER") and not (redis_url or "").startswith("redis"):
        raise ConfigError("RAPPORT_REDIS_CLUSTER=1 needs REDIS_URL=redis://<a cluster node>")
    port = _int(env, "PORT", 3000, low=1) or 3000
    public_url = (env.get("RAPPORT_PUBLIC_URL") or f"http://localhost:{port}").rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise ConfigError("RAPPORT_PUBLIC_URL must start with http:// or https://")
    settings = Settings(
        redis_url=redis_url,
        data_dir=Path(env.get("RAPPORT_DATA_DIR") or ".rapport"),
        port=port,
        slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        slack_app_token=env.get("SLACK_APP_TOKEN") or None,
        slack_api_url=env.get("SLACK_API_URL") or None,
        teams_enabled=_flag(env, "TEAMS_ENABLED") or bool(teams_id),
        teams_app_id=teams_id,
        teams_app_password=env.get("TEAMS_APP_PASSWORD", ""),
        teams_tenant_id=env.get("TEAMS_APP_TENANT_ID", ""),
        encryption_key=env.get("RAPPORT_ENCRYPTION_KEY") or None,
        allow_plaintext=_flag(env, "RAPPORT_ALLOW_PLAINTEXT"),
        prompt_delay_minutes=_int(env, "RAPPORT_PROMPT_DELAY_MINUTES", 10) or 0,
        retention_days=_int(env, "RAPPORT_RETENTION_DAYS", None, low=1),
        poll_seconds=_seconds(env, "RAPPORT_POLL_SECONDS", 2.0, low=0.1),
        lease_seconds=_seconds(env, "RAPPORT_LEASE_SECONDS", 60.0, low=1.0),
        shutdown_seconds=_seconds(env, "RAPPORT_SHUTDOWN_SECONDS", 25.0, low=0.0),
        dispatch_concurrency=_int(env, "RAPPORT_DISPATCH_CONCURRENCY", 1, low=1) or 1,
        redis_cluster=_flag(env, "RAPPORT_REDIS_CLUSTER"),
        public_url=public_url,
        client_link_days=_int(env, "RAPPORT_CLIENT_LINK_DAYS", 7, low=1) or 7,
        link_secret_raw=env.get("RAPPORT_LINK_SECRET") or None,
        teams_local_mode=_flag(env, "TEAMS_LOCAL_MODE"),
        metrics_port=_int(env, "METRICS_PORT", None, low=1),
        max_clock_skew=_seconds(env, "RAPPORT_MAX_CLOCK_SKEW_SECONDS", 5.0, low=0.1),
        slack_client_id=env.get("SLACK_CLIENT_ID") or None,
        slack_client_secret=env.get("SLACK_CLIENT_SECRET") or None,
        uninstall_grace_days=_int(env, "RAPPORT_UNINSTALL_GRACE_DAYS", 30, low=0) or 0,
    )
    if problem := teams_problem(settings):
        raise ConfigError(problem)
    if settings.metrics_port == settings.port:
        raise ConfigError("METRICS_PORT must differ from PORT (or be unset)")
    if settings.slack_multi_workspace and not (settings.encryption_key or settings.allow_plaintext):
        raise ConfigError(
            "SLACK_CLIENT_ID (multi-workspace mode) needs RAPPORT_ENCRYPTION_KEY: each "
            "workspace's tokens are stored encrypted with it"
        )
    return settings
