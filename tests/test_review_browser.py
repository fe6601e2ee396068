"""The review page in Chromium: what an editor does with the mouse and the keyboard, and two editors at once."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User

from annotations.models import Article, ArticleState, Attribution, Origin, ReviewState, SourceType
from tests.factories import make_article, make_attribution

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Sourcing-1"
BODY = (
    "Finance Minister Anna Berg said the budget would pass. "
    "A senior official, who spoke on condition of anonymity because talks were private, said it might not. "
    "The bridge cost 40 million euros, according to a council report."
)


def editor(username: str = "editor1", role: str = "editor") -> User:
    # transactional tests flush the groups the migration made, so make sure the role exists
    user = User.objects.create_user(username=username, password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def log_in(page, live_server, user: User, next_url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url)))
    page.wait_for_function("() => window.htmx !== undefined")


@pytest.fixture
def article() -> Article:
    article = make_article(body=BODY)
    make_attribution(article, source="Finance Minister Anna Berg", cue="said", content="the budget would pass")
    make_attribution(
        article,
        source="A senior official",
        cue="said it",
        content="might not",
        source_type=SourceType.ANONYMOUS,
        confidence=0.3,
    )
    make_attribution(
        article,
        source="a council report",
        cue="according to",
        content="The bridge cost 40 million euros",
        source_type=SourceType.DOCUMENT,
        confidence=0.8,
    )
    return article


def cards(article: Article) -> list[Attribution]:
    return list(article.attributions.in_reading_order())


def test_confirm_reject_and_correct_with_the_mouse(page, live_server, article, screenshot_dir):
    berg, official, report = cards(article)
    log_in(page, live_server, editor(), article.get_absolute_url())
    assert page.locator("mark.r-src.t-anonymous").count() >= 1

    page.click(f"#attribution-{berg.pk} .confirm-form button")
    page.wait_for_selector(f"#attribution-{berg.pk}.st-confirmed")
    page.click(f"#attribution-{report.pk} .reject-form button")
    page.wait_for_selector(f"#attribution-{report.pk}.st-rejected")
    # its highlight went with it (the sentence is swapped out of band; wait for it rather than race it)
    page.wait_for_function(f"() => !document.querySelector('mark[data-a~=\"{report.pk}\"]')")

    page.click(f"#attribution-{official.pk} .edit-link")
    page.wait_for_selector(f"#attribution-{official.pk} .edit-form")
    card = page.locator(f"#attribution-{official.pk}")
    card.locator("select[name=anon_seniority]").select_option("senior")
    card.locator("input[name=anon_descriptor]").fill("government")
    card.locator("select[name=anon_specificity]").select_option("affiliated")
    card.locator("input[name=via]").fill("Reuters")
    card.locator("button[name=nudge][value='source_start:+1']").click()  # shrink by one token: "senior official"
    page.wait_for_function(
        f"() => document.querySelector('#attribution-{official.pk} .g-src').textContent === 'senior official'"
    )
    page.locator(f"#attribution-{official.pk} button.primary").click()
    page.wait_for_selector(f"#attribution-{official.pk}.st-corrected:not(:has(.edit-form))")
    page.screenshot(path=str(screenshot_dir / "review-mouse.png"), full_page=True)

    official.refresh_from_db()
    assert official.review_state == ReviewState.CORRECTED
    assert (official.anon_seniority, official.anon_descriptor, official.via) == ("senior", "government", "Reuters")
    assert official.span_text("source") == "senior official"
    assert Attribution.objects.get(pk=berg.pk).review_state == ReviewState.CONFIRMED
    assert Attribution.objects.get(pk=report.pk).review_state == ReviewState.REJECTED
    assert page.locator("#open-count").inner_text() == "0"


def test_label_one_sentence_after_another_with_the_mouse(page, live_server, article, screenshot_dir):
    """The labels a row shows on hover or focus keep their space: when the mouse goes down on the next row's
    label, the row that loses focus hides its labels without moving that label from under the pointer."""
    log_in(page, live_server, editor(), article.get_absolute_url())
    first, second, third = article.sentences.order_by("index")
    for sentence, label in ((first, "unsourced_claim"), (second, "boilerplate"), (third, "no_claim")):
        page.hover(f"#sentence-{sentence.pk} .sent")
        page.click(f"#sentence-{sentence.pk} button[value={label}]", timeout=5000)
        page.wait_for_selector(f"#sentence-{sentence.pk}.lab-{label}", timeout=5000)
        page.wait_for_function(f"() => document.activeElement.id === 'sentence-{sentence.pk}'")
    page.screenshot(path=str(screenshot_dir / "review-labels-mouse.png"), full_page=True)
    labels = list(article.sentences.order_by("index").values_list("label", flat=True))
    assert labels == ["unsourced_claim", "boilerplate", "no_claim"]


def _point(page, sentence_index: int, needle: str, offset: int) -> tuple[float, float]:
    """Screen point of the character `offset` into `needle` within a sentence's text."""
    box = page.evaluate(
        """([index, needle, offset]) => {
            const sent = document.querySelectorAll('#body .sent')[index];
            const at = sent.textContent.indexOf(needle) + offset;
            const walker = document.createTreeWalker(sent, NodeFilter.SHOW_TEXT);
            let seen = 0, node;
            while ((node = walker.nextNode())) {
                if (seen + node.length > at) break;
                seen += node.length;
            }
            const range = document.createRange();
            range.setStart(node, at - seen);
            range.setEnd(node, at - seen + 1);
            const r = range.getBoundingClientRect();
            return {x: Math.round(r.left + r.width / 4), y: Math.round(r.top + r.height / 2)};
        }""",
        [sentence_index, needle, offset],
    )
    return box["x"], box["y"]


def test_add_an_attribution_by_selecting_text_with_the_mouse(page, live_server, screenshot_dir):
    article = make_article(body=BODY)
    log_in(page, live_server, editor(), article.get_absolute_url())
    # drag from inside "Finance" to inside "Berg": the selection snaps to whole words
    page.hover("#body .sent")  # (hovering a sentence shows its label buttons: measure after that)
    x1, y1 = _point(page, 0, "Finance", 3)
    x2, y2 = _point(page, 0, "Berg", 2)
    page.mouse.move(x1, y1)
    page.mouse.down()
    page.wait_for_timeout(50)
    page.mouse.move(x2, y2, steps=10)
    page.wait_for_timeout(50)
    page.mouse.up()
    start = BODY.index("Finance")
    end = start + len("Finance Minister Anna Berg")
    page.wait_for_function(f"() => document.getElementById('add_start').value === '{start}'")
    assert page.input_value("#add_end") == str(end)
    assert "Finance Minister Anna Berg" in page.inner_text("#add-selection")
    page.select_option("#add_role", "source")
    page.select_option("#add_source_type", "named_person")
    page.click("#add-submit")
    page.wait_for_selector("#cards .card.st-added")
    added = Attribution.objects.get(article=article, origin=Origin.EDITOR)
    assert added.span_text("source") == "Finance Minister Anna Berg"
    page.wait_for_selector(f'mark.r-src[data-a~="{added.pk}"]')
    page.wait_for_function(f"() => document.activeElement.id === 'attribution-{added.pk}'")
    page.screenshot(path=str(screenshot_dir / "review-add-selection.png"), full_page=True)


def test_review_a_whole_article_with_the_keyboard_only(page, live_server, article, screenshot_dir):
    berg, official, report = cards(article)
    log_in(page, live_server, editor(), article.get_absolute_url())
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    page.keyboard.press("?")

    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"attribution-{berg.pk}"
    page.keyboard.press("a")
    page.wait_for_selector(f"#attribution-{berg.pk}.st-confirmed")
    page.wait_for_function(f"() => document.activeElement.id === 'attribution-{berg.pk}'")  # focus stayed
    page.keyboard.press("1")  # its sentence is sourced
    page.wait_for_selector(f"#sentence-{berg.sentence_id}.lab-sourced")

    page.keyboard.press("u")  # undo the label
    page.wait_for_selector(f"#sentence-{berg.sentence_id}.lab-no_claim")
    page.keyboard.press("1")
    page.wait_for_selector(f"#sentence-{berg.sentence_id}.lab-sourced")

    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_selector(f"#attribution-{official.pk}.st-confirmed")
    page.keyboard.press("1")
    page.wait_for_selector(f"#sentence-{official.sentence_id}.lab-sourced")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.wait_for_selector(f"#attribution-{report.pk}.st-rejected")
    page.keyboard.press("2")  # with its source rejected, the claim is unsourced
    page.wait_for_selector(f"#sentence-{report.sentence_id}.lab-unsourced_claim")
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.id") == f"attribution-{official.pk}"
    page.keyboard.press("e")
    page.wait_for_selector(f"#attribution-{official.pk} .edit-form")
    page.wait_for_function("() => document.activeElement.name === 'source_type'")  # the cursor is in the form
    page.keyboard.press("Escape")
    page.keyboard.press("r")  # mark reviewed
    page.wait_for_selector("#progress .done")
    page.wait_for_selector("#progress .notice")
    # the cards lose the actions an editor no longer has on a reviewed article, without a reload
    page.wait_for_function("() => !document.querySelector('#cards button.ok, #add-form')")
    page.wait_for_function("() => document.activeElement.id === 'progress'")
    page.screenshot(path=str(screenshot_dir / "review-keyboard.png"), full_page=True)

    article.refresh_from_db()
    assert article.state == ArticleState.REVIEWED
    assert [a.review_state for a in cards(article)] == ["confirmed", "confirmed", "rejected"]
    labels = list(article.sentences.order_by("index").values_list("label", flat=True))
    assert labels == ["sourced", "sourced", "unsourced_claim"]


def test_two_editors_on_the_same_attribution_the_second_is_refused(browser, live_server, article, screenshot_dir):
    berg = cards(article)[0]
    first, second = browser.new_context(), browser.new_context()
    try:
        page_a, page_b = first.new_page(), second.new_page()
        log_in(page_a, live_server, editor("anna"), article.get_absolute_url())
        log_in(page_b, live_server, editor("ben"), article.get_absolute_url())
        page_a.click(f"#attribution-{berg.pk} .confirm-form button")
        page_a.wait_for_selector(f"#attribution-{berg.pk}.st-confirmed")
        page_b.click(f"#attribution-{berg.pk} .reject-form button")  # ben still sees version 1
        page_b.wait_for_selector(f"#attribution-{berg.pk} .conflict")
        conflict = page_b.inner_text(f"#attribution-{berg.pk} .conflict")
        assert "Not saved" in conflict and "anna" in conflict
        # the current state is shown (htmx settles the swapped card's class a moment after its content)
        page_b.wait_for_selector(f"#attribution-{berg.pk}.st-confirmed")
        page_b.screenshot(path=str(screenshot_dir / "review-conflict.png"), full_page=True)
        berg.refresh_from_db()
        assert berg.review_state == ReviewState.CONFIRMED and berg.reviewed_by.username == "anna"
    finally:
        first.close()
        second.close()


def test_without_javascript_every_form_still_works(browser, live_server, article, screenshot_dir):
    berg, official, _report = cards(article)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/?next={article.get_absolute_url()}")
        page.fill("#id_username", editor().username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(re.escape(article.get_absolute_url())))
        page.click(f"#attribution-{berg.pk} .confirm-form button")  # a plain POST, then a redirect back
        page.wait_for_url(re.compile(f"#attribution-{berg.pk}$"))
        assert page.locator(f"#attribution-{berg.pk}.st-confirmed").count() == 1
        page.hover(f"#sentence-{berg.sentence_id} .sent")  # a sentence shows its other labels on hover or focus
        page.click(f"#sentence-{berg.sentence_id} button[value=sourced]")
        page.wait_for_url(re.compile(f"#sentence-{berg.sentence_id}$"))
        assert page.locator(f"#sentence-{berg.sentence_id}.lab-sourced").count() == 1
        page.click(f"#attribution-{official.pk} .edit-link")  # the editor opens by a plain link
        page.locator(f"#attribution-{official.pk} input[name=via]").fill("CNN")
        page.locator(f"#attribution-{official.pk} button.primary").click()
        page.wait_for_url(re.compile(f"#attribution-{official.pk}$"))
        assert "via CNN" in page.inner_text(f"#attribution-{official.pk}")
        page.screenshot(path=str(screenshot_dir / "review-no-javascript.png"), full_page=True)
    finally:
        context.close()
    assert Attribution.objects.get(pk=official.pk).via == "CNN"
