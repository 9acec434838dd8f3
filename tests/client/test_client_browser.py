"""The client's page in a real headless Chromium (Debian's), phone-sized: answered with the
keyboard alone, scanned by axe-core, and then seen in the practitioner's `history`."""

from __future__ import annotations

from axe_playwright_python.async_playwright import Axe

from tests.browser import chromium_page
from tests.client.conftest import Site
from tests.service_helpers import drain

SERIOUS = {"serious", "critical"}


async def serious_violations(page) -> list[str]:
    results = await Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


async def focused(page) -> str:
    return await page.evaluate("document.activeElement.id || document.activeElement.tagName")


async def pick(page, qid: str, value: int) -> None:
    """In a radio group with the keyboard: Space takes the first option, arrows move on."""
    assert await focused(page) == f"{qid}-1"
    await page.keyboard.press("Space")
    for _ in range(value - 1):
        await page.keyboard.press("ArrowDown")
    assert await focused(page) == f"{qid}-{value}"


async def test_the_page_answered_with_the_keyboard_alone_reaches_history(site: Site, page) -> None:
    url = await site.new_link()
    await page.goto(url)
    assert await page.evaluate("window.innerWidth") == 375  # a phone
    assert await serious_violations(page) == []
    # No horizontal scrolling on a phone.
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for qid, value in (("perspectives", 4), ("power", 3), ("problem_solving", 5), ("helped", 2)):
        await page.keyboard.press("Tab")
        await pick(page, qid, value)
    await page.keyboard.press("Tab")
    assert await focused(page) == "comment"
    await page.keyboard.type("Good to be asked what I want to work on.")
    await page.keyboard.press("Tab")
    assert await focused(page) == "BUTTON"
    await page.keyboard.press("Enter")
    await page.wait_for_selector("h1:text('Thank you')")
    assert await serious_violations(page) == []
    await drain(site.rapport)
    history = await site.say("history Sam")
    text = str(history.blocks)
    assert "Your view and your client" in text
    assert "client █ 5" in text and "client ▃ 2" in text  # problem solving 5, helped 2
    answer = site.outbox.to("u1", "client_answer")[-1]
    assert "Good to be asked" in str(answer.blocks)


async def test_the_error_state_and_the_closed_page_pass_the_scan(site: Site, page) -> None:
    url = await site.new_link()
    await page.goto(url)
    await page.check("#power-2")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#error-perspectives")
    # The error is tied to its field: a screen reader reads it with the options.
    described = await page.get_attribute("#perspectives-1", "aria-describedby")
    assert "error-perspectives" in described
    assert await page.is_checked("#power-2")  # what was answered is kept
    assert await serious_violations(page) == []
    await page.goto(url + "x")
    assert "find this page" in await page.inner_text("main")
    assert await serious_violations(page) == []


async def test_the_page_works_with_javascript_off(site: Site) -> None:
    """The form needs no script: with JavaScript disabled it is answered and sent."""
    url = await site.new_link()
    async with chromium_page(javascript=False) as page:
        await page.goto(url)
        for qid, value in (("perspectives", 5), ("power", 4), ("problem_solving", 4)):
            await page.check(f"#{qid}-{value}")
        await page.check("#helped-3")
        await page.click("button[type=submit]")
        assert "Thank you" in await page.inner_text("h1")
    await drain(site.rapport)
    assert "Your client: 5" in str(site.outbox.to("u1", "client_answer")[-1].blocks)
