"""A check-in's form, and the answers read back from it.

The same Form serves Slack (modal), Teams (Adaptive Card) and the console: rating
questions carry both poles and take "1".."5"; text questions are optional.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.messages import Form, Question, RatingQuestion, TextQuestion
from bot.core.models import SESSION, CheckIn, Relationship
from bot.core.prompts import ProcessQuestion, Prompts
from bot.core.rubric import Rubric

MAX_TEXT = 3000
RATING_VALUES = ("1", "2", "3", "4", "5")


def form_ref(relationship_id: str, number: int) -> str:
    return f"{relationship_id}:{number}"


def split_ref(ref: str) -> tuple[str, int] | None:
    rid, _, number = ref.rpartition(":")
    if not rid or not number.isdigit() or len(ref) > 80:
        return None
    return rid, int(number)


def _process_question(q: ProcessQuestion, checkin: CheckIn, with_text: bool) -> Question | None:
    if q.kind == "rating":
        return RatingQuestion(q.id, q.prompt, q.low, q.high, initial=checkin.process.get(q.id))
    if not with_text:
        return None
    return TextQuestion(q.id, q.prompt, MAX_TEXT, initial=checkin.texts.get(q.id))


def questions_for(
    rubric: Rubric, prompts: Prompts, checkin: CheckIn, with_text: bool = True
) -> tuple[Question, ...]:
    """Rubric contrasts first, then the process (and review) questions."""
    asked = [rubric.contrast(cid) for cid in checkin.asked]
    items: list[Question] = []
    for c in asked:
        same_group = [a for a in asked if a.group == c.group]
        label = rubric.group(c.group).name
        if len(same_group) > 1:  # a review asks every contrast: number them within the group
            label = f"{label} {same_group.index(c) + 1} of {len(same_group)}"
        items.append(
            RatingQuestion(
                c.id, label, c.transactional, c.personalized, initial=checkin.ratings.get(c.id)
            )
        )
    process = prompts.session_process if checkin.kind == SESSION else prompts.review_process
    extra = () if checkin.kind == SESSION else prompts.review_questions.get(checkin.kind, ())
    if checkin.kind not in (SESSION,) and not extra:
        extra = prompts.review_questions.get("midway", ())
    for q in (*process, *extra):
        built = _process_question(q, checkin, with_text)
        if built:
            items.append(built)
    return tuple(items)


def build_form(
    rubric: Rubric, prompts: Prompts, rel: Relationship, checkin: CheckIn, with_text: bool = True
) -> Form:
    if checkin.kind == SESSION:
        title = prompts.session_title
        intro = prompts.session_intro.format(alias=rel.alias, session=checkin.session)
    else:
        text = prompts.reviews.get(checkin.kind) or prompts.reviews["early"]
        title, intro = text.title, text.intro.format(alias=rel.alias)
    return Form(
        ref=form_ref(rel.id, checkin.number),
        title=title[:24],
        intro=intro,
        questions=questions_for(rubric, prompts, checkin, with_text),
        submit_label="Save",
    )


@dataclass(frozen=True)
class Answers:
    ratings: Mapping[str, int]
    process: Mapping[str, int]
    texts: Mapping[str, str]


# A form answer field naming (comma-separated) the text questions whose earlier answers
# the channel could not show in full (a Teams card has a size cap): left empty, they keep
# what was stored; typed in, the new text replaces it.
KEEP = "_keep"


def with_kept(values: Mapping[str, object], texts: Mapping[str, str]) -> dict[str, object]:
    """`values`, with each kept text question that came back empty given its stored text."""
    out = dict(values)
    kept = out.pop(KEEP, None)
    for qid in str(kept or "").split(","):
        blank = not str(out.get(qid) or "").strip()
        if qid in texts and blank:
            out[qid] = texts[qid]
    return out


def read_answers(
    questions: tuple[Question, ...], rubric_ids: frozenset[str], values: Mapping[str, object]
) -> Answers | dict[str, str]:
    """The answers in `values`, or a dict of question id -> short error."""
    errors: dict[str, str] = {}
    ratings: dict[str, int] = {}
    process: dict[str, int] = {}
    texts: dict[str, str] = {}
    for q in questions:
        raw = values.get(q.id)
        raw = raw.strip() if isinstance(raw, str) else raw
        if isinstance(q, RatingQuestion):
            if raw in (None, ""):
                if q.required:
                    errors[q.id] = "Pick one of the five options."
                continue
            if raw not in RATING_VALUES:
                errors[q.id] = "Choose a value from 1 to 5."
                continue
            (ratings if q.id in rubric_ids else process)[q.id] = int(raw)
        else:
            if raw in (None, ""):
                continue
            if not isinstance(raw, str):
                errors[q.id] = "This answer should be text."
            elif len(raw) > q.max_length:
                errors[q.id] = f"Keep it under {q.max_length:,} characters."
            else:
                texts[q.id] = raw
    return errors or Answers(ratings, process, texts)
