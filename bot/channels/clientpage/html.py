"""The client's pages as HTML, built here from the service's values. Everything shown is
escaped; there is no script and no inline style (the page's CSP allows neither)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from bot.core.client import COMMENT, COMMENT_MAX, ClientWords
from bot.service.client import PATH, Page

STYLESHEET = PATH + "static/client.css"


def _doc(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{STYLESHEET}">\n</head>\n<body>\n<main>\n{body}\n'
        "</main>\n</body>\n</html>\n"
    )


def message_page(title: str, text: str) -> str:
    """A friendly page that says one thing (404, 410, 429, thank you)."""
    return _doc(title, f"<h1>{escape(title)}</h1>\n<p>{escape(text)}</p>")


def thanks_page(words: ClientWords, until: str) -> str:
    body = (
        f"<h1>{escape(words.on_page('thanks_title'))}</h1>\n"
        f"<p>{escape(words.on_page('thanks'))}</p>\n"
        f'<p class="small">{escape(words.on_page("thanks_change", until=until))}</p>'
    )
    return _doc(words.on_page("thanks_title"), body)


def _chosen(page: Page, qid: str) -> str:
    if qid in page.values:
        return str(page.values[qid])
    if page.answer is not None and qid in page.answer.ratings:
        return str(page.answer.ratings[qid])
    return ""


def _question(words: ClientWords, page: Page, qid: str) -> str:
    q = words.question(qid)
    error = page.errors.get(qid)
    chosen = _chosen(page, qid)
    ends_id, err_id = f"ends-{qid}", f"error-{qid}"
    described = f"{ends_id} {err_id}" if error else ends_id
    invalid = ' aria-invalid="true"' if error else ""
    marked = ' class="invalid"' if error else ""
    options = []
    for n in range(1, 6):
        words_at = {1: q.low, 5: q.high}.get(n)
        text = f"{n} · {words_at}" if words_at else str(n)
        checked = " checked" if chosen == str(n) else ""
        options.append(
            f'<div class="option"><label for="{qid}-{n}">'
            f'<input type="radio" id="{qid}-{n}" name="{qid}" value="{n}"{checked}'
            f' aria-describedby="{described}"{invalid}>'
            f"<span>{escape(text)}</span></label></div>"
        )
    error_html = f'<p class="error" id="{err_id}">{escape(error)}</p>\n' if error else ""
    return (
        f'<fieldset id="q-{qid}"{marked}>\n'
        f"<legend>{escape(q.prompt)}</legend>\n"
        f'<p class="ends" id="{ends_id}">1 = {escape(q.low)}; 5 = {escape(q.high)}</p>\n'
        f"{error_html}" + "\n".join(options) + "\n</fieldset>"
    )


def _comment(words: ClientWords, page: Page) -> str:
    if not page.comment_kept:
        return ""
    error = page.errors.get(COMMENT)
    value = (
        page.values.get(COMMENT)
        if COMMENT in page.values
        else (page.answer.comment if page.answer else "")
    )
    described = "comment-hint" + (" error-comment" if error else "")
    invalid = ' aria-invalid="true"' if error else ""
    error_html = f'<p class="error" id="error-comment">{escape(error)}</p>\n' if error else ""
    return (
        '<div class="comment">\n'
        f'<label for="comment">{escape(words.on_page("comment"))}</label>\n'
        f'<p class="hint" id="comment-hint">{escape(words.on_page("comment_hint"))}</p>\n'
        f"{error_html}"
        f'<textarea id="comment" name="{COMMENT}" rows="5" maxlength="{COMMENT_MAX}"'
        f' aria-describedby="{described}"{invalid}>{escape(value or "")}</textarea>\n</div>'
    )


def form_page(
    words: ClientWords, page: Page, action: str, csrf: str, problem: str | None = None
) -> str:
    """The four questions and the comment, with the answer so far (or as submitted)."""
    parts = [
        f"<h1>{escape(words.on_page('title'))}</h1>",
        f"<p>{escape(words.on_page('intro', day=page.day))}</p>",
        f'<p class="who">{escape(words.on_page("who_sees"))}</p>',
    ]
    if page.answer is not None:
        answered = page.answer.answered_at.strftime("%a %d %b")
        parts.append(f"<p>{escape(words.on_page('answered', day=answered, until=page.until))}</p>")
    if problem or page.errors:
        links = "".join(
            f'<li><a href="#{_anchor(k)}">{escape(_label(words, k))}</a></li>' for k in page.errors
        )
        text = escape(problem or words.on_page("errors_heading"))
        parts.append(
            f'<div class="problem" role="alert"><p>{text}</p>'
            + (f"<ul>{links}</ul>" if links else "")
            + "</div>"
        )
    fields = [_question(words, page, q.id) for q in words.questions]
    submit = words.on_page("change" if page.answer else "send")
    parts.append(
        f'<form method="post" action="{escape(action)}" novalidate>\n'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">\n'
        + "\n".join(fields)
        + "\n"
        + _comment(words, page)
        + f'\n<button type="submit">{escape(submit)}</button>\n</form>'
    )
    parts.append(f'<p class="small">{escape(words.on_page("open_until", until=page.until))}</p>')
    return _doc(words.on_page("title"), "\n".join(parts))


def _anchor(key: str) -> str:
    return "comment" if key == COMMENT else f"q-{key}"


def _label(words: ClientWords, key: str) -> str:
    if key == COMMENT:
        return words.on_page("comment")
    return words.question(key).prompt


def values_of(form: Mapping[str, str]) -> dict[str, str]:
    """The form fields the service reads (nothing else is passed on)."""
    return {k: str(v) for k, v in form.items() if k != "csrf"}
