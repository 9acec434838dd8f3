"""The words the bot uses, loaded from `prompts/` (data, not code)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core.messages import Span

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "prompts"


class PromptError(ValueError):
    pass


@dataclass(frozen=True)
class ProcessQuestion:
    id: str
    kind: str  # "rating" | "text"
    prompt: str
    low: str = ""
    high: str = ""


@dataclass(frozen=True)
class ReviewText:
    title: str
    intro: str


@dataclass(frozen=True)
class Prompts:
    session_title: str
    session_intro: str
    session_process: tuple[ProcessQuestion, ...]
    reviews: Mapping[str, ReviewText]  # midway | annual | early
    review_process: tuple[ProcessQuestion, ...]
    review_questions: Mapping[str, tuple[ProcessQuestion, ...]]  # midway | annual
    messages: Mapping[str, Any]

    def say(self, key: str, **values: object) -> str:
        """The message `key` with its placeholders filled."""
        template = self.messages.get(key)
        if not isinstance(template, str):
            raise PromptError(f"prompts/messages.yaml: {key}: missing or not a string")
        return template.format(**values)

    def spans(self, key: str, **values: object) -> tuple[Span, ...]:
        """The message as spans: `backticks` in the template (never in a value) mark a
        command to type, so nothing a user typed can turn into markup."""
        template = self.messages.get(key)
        if not isinstance(template, str):
            raise PromptError(f"prompts/messages.yaml: {key}: missing or not a string")
        parts = template.split("`")
        if len(parts) % 2 == 0:
            raise PromptError(f"prompts/messages.yaml: {key}: unpaired backtick")
        return tuple(
            Span(part.format(**values), code=i % 2 == 1) for i, part in enumerate(parts) if part
        )

    def lines(self, key: str) -> tuple[str, ...]:
        value = self.messages.get(key)
        if not isinstance(value, list):
            raise PromptError(f"prompts/messages.yaml: {key}: must be a list")
        return tuple(str(v) for v in value)

    def table(self, key: str) -> Mapping[str, str]:
        value = self.messages.get(key)
        if not isinstance(value, dict):
            raise PromptError(f"prompts/messages.yaml: {key}: must be a mapping")
        return {str(k): str(v) for k, v in value.items()}


def _question(raw: Mapping[str, Any], where: str, default_kind: str = "text") -> ProcessQuestion:
    try:
        q = ProcessQuestion(
            id=str(raw["id"]),
            kind=str(raw.get("kind", default_kind)),
            prompt=str(raw["prompt"]),
            low=str(raw.get("low", "")),
            high=str(raw.get("high", "")),
        )
    except (KeyError, TypeError) as e:
        raise PromptError(f"{where}: each question needs an id and a prompt ({e})") from None
    if q.kind not in {"rating", "text"}:
        raise PromptError(f"{where}: {q.id}: kind must be rating or text")
    if q.kind == "rating" and not (q.low and q.high):
        raise PromptError(f"{where}: {q.id}: a rating question needs both poles (low, high)")
    return q


def load_prompts(directory: Path | str | None = None) -> Prompts:
    base = Path(directory) if directory else DEFAULT_DIR
    checkin = yaml.safe_load((base / "checkin.yaml").read_text(encoding="utf-8"))
    messages = yaml.safe_load((base / "messages.yaml").read_text(encoding="utf-8"))
    try:
        session, review = checkin["session"], checkin["review"]
        where = "prompts/checkin.yaml"
        return Prompts(
            session_title=session["title"],
            session_intro=session["intro"],
            session_process=tuple(
                _question(q, f"{where}: session.process") for q in session["process"]
            ),
            reviews={
                k: ReviewText(review[k]["title"], review[k]["intro"])
                for k in ("midway", "annual", "early")
            },
            review_process=tuple(
                _question(q, f"{where}: review.process") for q in review["process"]
            ),
            review_questions={
                k: tuple(_question(q, f"{where}: review.questions.{k}") for q in qs)
                for k, qs in review["questions"].items()
            },
            messages=messages,
        )
    except (KeyError, TypeError) as e:
        raise PromptError(f"prompts/checkin.yaml: missing or malformed key {e}") from None
