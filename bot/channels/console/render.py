"""Core messages and forms as terminal text. Buttons become numbered `press <n>` hints."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.messages import (
    Actions,
    Bullets,
    Button,
    Divider,
    Fields,
    Form,
    Heading,
    Image,
    Link,
    Message,
    Paragraph,
    RatingQuestion,
    Span,
)

CLIENT_PAGE = "client_page"  # a console-only button: open a client's page as the client


def spans(items: tuple[Span, ...]) -> str:
    out = []
    for s in items:
        if s.code:
            out.append(f"`{s.text}`")
        elif s.bold:
            out.append(s.text.upper() if len(s.text) < 3 else s.text)
        else:
            out.append(s.text)
    return "".join(out)


def message(msg: Message, button_number: Callable[[Button], int]) -> list[str]:
    lines: list[str] = []
    for block in msg.blocks:
        if isinstance(block, Heading):
            lines.append(f"== {block.text} ==")
        elif isinstance(block, Paragraph):
            lines.append(spans(block.spans))
        elif isinstance(block, Bullets):
            lines.extend(f"  • {spans(item)}" for item in block.items)
        elif isinstance(block, Fields):
            width = max((len(k) for k, _ in block.pairs), default=0)
            lines.extend(f"  {k.ljust(width)}  {v}" for k, v in block.pairs)
        elif isinstance(block, Divider):
            lines.append("  ---")
        elif isinstance(block, Image):
            where = block.path or block.url or "(sent as a file)"
            lines.append(f"  [chart] {block.title}: {where}")
        elif isinstance(block, Actions):
            hints = [f"[{b.label}] → press {button_number(b)}" for b in block.buttons]
            lines.append("  " + "   ".join(hints))
        elif isinstance(block, Link):
            lines.append(f"  {block.label}: {block.url}")
            if block.kind == "client":  # the demo: play the client in the console
                button = Button("Answer as the client", CLIENT_PAGE, block.url, False)
                lines.append(f"  [{button.label}] → press {button_number(button)}")
    if not lines:
        lines.append(msg.summary)
    return lines


def form(f: Form) -> list[str]:
    lines = [f"== {f.title} ==", f.intro]
    rating = 0
    for q in f.questions:
        if isinstance(q, RatingQuestion):
            rating += 1
            now = f" (now {q.initial})" if q.initial else ""
            lines.append(f"  {rating:>2}. {q.prompt}{now}")
            lines.append(f"      1 = {q.low}")
            lines.append(f"      5 = {q.high}")
        else:
            saved = f" (now “{q.initial}”; kept unless you write another)" if q.initial else ""
            lines.append(f"   +  {q.prompt} (optional text){saved}")
    lines.append(
        "Answer with the ratings in order, then any text answers after '|', e.g.: "
        "answer 4 5 3 4 | they'll try the new plan | ask about the team"
    )
    return lines
