"""Double review in Chromium, the whole flow (issue 15): a standards editor marks an article, two editors review it
blind, the agreement appears, the standards editor adjudicates and exports each editor's layer."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from annotations.models import Article, ArticleState, DoubleReview, ReviewState, Sentence, SourceType
from annotations.roles import EDITOR, STANDARDS
from tests.factories import make_article, make_attribution, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Sourcing-1"


@pytest.fixture(autouse=True)
def role_groups():
    for name in (EDITOR, STANDARDS):
        Group.objects.get_or_create(name=name)


def log_in(page: Page, live_server, username: str, next_url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url)))
    page.wait_for_function("() => window.htmx !== undefined")


def review_my_layer(page: Page, live_server, username: str, article: Article, *, reject_official: bool, label: str):
    """From the home page's queue into the editor's own layer; decide both proposals, label sentence 1, submit."""
    log_in(page, live_server, username, "/")
    page.locator("#my-queue a").first.click()
    expect(page.locator("#double-review")).to_contain_text("Your own review")
    copy = Article.objects.get(layer__editor__username=username, layer__review__article=article)
    berg, official = copy.attributions.in_reading_order()
    page.click(f"#attribution-{berg.pk} .confirm-form button")
    page.wait_for_selector(f"#attribution-{berg.pk}.st-confirmed")
    action = "reject" if reject_official else "confirm"
    page.click(f"#attribution-{official.pk} .{action}-form button")
    page.wait_for_selector(f"#attribution-{official.pk}.st-{action}ed")
    if reject_official:  # its highlight goes (the sentence is swapped out of band: wait for it rather than race it)
        page.wait_for_function(f"() => !document.querySelector('mark[data-a~=\"{official.pk}\"]')")
    first, second = Sentence.objects.filter(article=copy).order_by("index")[:2]
    page.hover(f"#sentence-{first.pk} .sent")
    page.click(f"#sentence-{first.pk} button[value=sourced]")
    page.wait_for_selector(f"#sentence-{first.pk}.lab-sourced")
    # the row takes the focus back once the swap has settled (review.js): only then go on to the next one
    page.wait_for_function(f"() => document.activeElement.id === 'sentence-{first.pk}'")
    page.focus(f"#sentence-{second.pk}")  # and label it with the keyboard (1 sourced, 2 unsourced claim)
    page.keyboard.press({"sourced": "1", "unsourced_claim": "2"}[label])
    page.wait_for_selector(f"#sentence-{second.pk}.lab-{label}")
    page.click("#reviewed-form button")
    expect(page.locator("#progress .notice")).to_contain_text("Your review is submitted")
    return copy


def test_mark_two_editors_review_blind_agreement_adjudicate_export(browser, live_server, screenshot_dir, tmp_path):
    make_user("chief", role=STANDARDS)
    make_user("anna", role=EDITOR)
    make_user("ben", role=EDITOR)
    article = make_article(title="Budget talks")
    make_attribution(article, source="Finance Minister Anna Berg", cue="said", content="the budget would pass")
    make_attribution(
        article, source="A senior official", cue="said it", content="might not", source_type=SourceType.ANONYMOUS
    )
    contexts = [browser.new_context(accept_downloads=True) for _ in range(3)]
    chief, anna, ben = (c.new_page() for c in contexts)
    try:
        # 1. mark: a standards editor names two editors for the article
        log_in(chief, live_server, "chief", f"/double-review/?articles={article.pk}")
        chief.locator("#mark .dr-editors label", has_text="anna").locator("input").check()
        chief.locator("#mark .dr-editors label", has_text="ben").locator("input").check()
        chief.fill("#id_batch", "spring checks")
        expect(chief.locator("#mark-preview")).to_contain_text("1 of the 1 article can be marked")
        chief.click("#mark-submit")
        expect(chief.locator(f"#double-review-{article.pk}")).to_contain_text("Editors reviewing")
        chief.screenshot(path=str(screenshot_dir / "double-review-marked.png"), full_page=True)

        # 2. two editors review blind, each on their own layer
        anna_copy = review_my_layer(anna, live_server, "anna", article, reject_official=True, label="unsourced_claim")
        ben_layer = DoubleReview.objects.get(article=article).layers.get(editor__username="ben")
        response = anna.goto(f"{live_server.url}/articles/{ben_layer.article_id}/review/")
        assert response.status == 403  # Ben's layer is hidden from Anna
        hidden = chief.goto(f"{live_server.url}/articles/{anna_copy.pk}/review/")
        assert hidden.status == 403  # and Anna's from the standards editor, while the review is open
        review_my_layer(ben, live_server, "ben", article, reject_official=False, label="sourced")
        ben.screenshot(path=str(screenshot_dir / "double-review-layer.png"), full_page=True)

        # 3. the agreement appears
        chief.goto(f"{live_server.url}/agreement/")
        expect(chief.locator("#agreement-articles")).to_have_text("1")
        expect(chief.locator("#chance-sentence_label")).to_contain_text("0.500")  # κ, worked out in test_agreement
        expect(chief.locator("#spans-attribution")).to_contain_text("0.667")  # Berg in both; the official in Ben's
        chief.screenshot(path=str(screenshot_dir / "agreement-page.png"), full_page=True)

        # 4. adjudicate: only the two differences are shown, each with who chose what
        chief.locator(f"#agreement-article-{article.pk} a").click()
        items = chief.locator("#items .adj-item")
        expect(items).to_have_count(2)
        official_item = chief.locator(".adj-attribution")
        expect(official_item).to_contain_text("Not kept")
        official_item.get_by_role("button", name="Take ben’s").click()
        expect(chief.locator(".adj-attribution.adj-decided")).to_have_count(1)
        expect(chief.locator(".adj-item.adj-sentence button[value=unsourced_claim]")).to_contain_text("(anna)")
        chief.locator(".adj-item.adj-sentence button[value=unsourced_claim]").click()
        expect(chief.locator(".adj-item.adj-sentence.adj-decided")).to_have_count(1)
        expect(chief.locator("#adj-open")).to_have_text("0")
        chief.screenshot(path=str(screenshot_dir / "adjudication.png"), full_page=True)
        chief.click("#adj-finish")
        expect(chief.locator("#progress .state")).to_have_text("Reviewed")
        article.refresh_from_db()
        assert article.state == ArticleState.REVIEWED
        assert [a.review_state for a in article.attributions.in_reading_order()] == [ReviewState.CONFIRMED] * 2
        history = chief.goto(f"{live_server.url}/articles/{article.pk}/history/")
        assert history.status == 200
        expect(chief.locator("#events")).to_contain_text("adjudicate")

        # 5. export: the adjudicated result, and each editor's own layer on request
        chief.goto(f"{live_server.url}/exports/")
        chief.get_by_label("Also each editor's own review").check()
        with chief.expect_download() as info:
            chief.get_by_role("button", name="Download").click()
        path = tmp_path / info.value.suggested_filename
        info.value.save_as(path)
        (record,) = [json.loads(line) for line in path.read_text().splitlines()]
        assert record["reviewed_by"] == "chief"
        assert [layer["annotator"] for layer in record["layers"]] == ["anna", "ben"]
        assert [s["label"] for s in record["sentences"]] == ["sourced", "unsourced_claim", "no_claim"]
    finally:
        for context in contexts:
            context.close()


def test_give_a_layer_to_another_editor_then_call_the_review_off(browser, live_server, screenshot_dir):
    """Ben cannot finish: the standards editor gives his layer to Cleo, who finds it in her queue; then the review
    is called off and the article is back in the ordinary queue with its proposals."""
    make_user("chief", role=STANDARDS)
    for name in ("anna", "ben", "cleo"):
        make_user(name, role=EDITOR)
    article = make_article(title="Harbour works")
    make_attribution(article, source="Finance Minister Anna Berg", cue="said", content="the budget would pass")
    contexts = [browser.new_context() for _ in range(2)]
    chief, cleo = (c.new_page() for c in contexts)
    try:
        log_in(chief, live_server, "chief", f"/double-review/?articles={article.pk}")
        chief.locator("#mark .dr-editors label", has_text="anna").locator("input").check()
        chief.locator("#mark .dr-editors label", has_text="ben").locator("input").check()
        chief.click("#mark-submit")
        row = chief.locator(f"#double-review-{article.pk}")
        expect(row).to_contain_text("Editors reviewing")
        row.get_by_role("link", name=re.compile("Editors")).click()
        expect(chief.locator("h1")).to_contain_text("Harbour works")
        expect(chief.locator("#layer-1")).to_contain_text("ben")

        chief.select_option("#id_position", label="ben")
        chief.select_option("#id_editor", label="cleo")
        chief.click("#reassign-submit")
        expect(chief.locator("#layer-1")).to_contain_text("cleo")
        expect(chief.locator(".messages")).to_contain_text("layer is now cleo")
        chief.screenshot(path=str(screenshot_dir / "double_review_reassigned.png"), full_page=True)

        log_in(cleo, live_server, "cleo", "/")
        cleo.locator("#my-queue a").first.click()
        expect(cleo.locator("#double-review")).to_contain_text("Your own review")

        chief.click("#cancel-submit")  # not ticked: the browser asks for the box first, nothing is sent
        assert chief.evaluate("document.querySelector('#id_confirm').validity.valueMissing")
        assert DoubleReview.objects.filter(article=article).exists()
        chief.check("#id_confirm")
        chief.click("#cancel-submit")
        expect(chief.locator(".messages")).to_contain_text("called off")
        expect(chief.locator(f"#double-review-{article.pk}")).to_have_count(0)
        article.refresh_from_db()
        assert article.state == ArticleState.PREPASSED
        assert not DoubleReview.objects.filter(article=article).exists()
        assert set(article.attributions.values_list("review_state", flat=True)) == {ReviewState.PROPOSED}
    finally:
        for c in contexts:
            c.close()
