"""The pages around the review page, in Chromium: log in, take the next article, filter and reassign, import."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Page, expect

from annotations.models import Article, ArticleState
from annotations.roles import EDITOR, STANDARDS
from tests.factories import make_article, make_attribution, make_outlet, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Sourcing-1"
TIMEOUT = 60_000  # the first import loads spaCy

PASTED = """Harbour fees to double next spring

By Mira Olsen

Share this:
Facebook
Bluesky

The port authority will double its harbour fees next spring, its chair said on Tuesday.

"We have no choice," said chair Tomas Lind. "The breakwater is failing."

Leave a Reply
"""

UPLOAD = b"""Ferry contract signed after long delay

The island council signed the new ferry contract on Friday, a spokesperson said.

Two officials who spoke on condition of anonymity said the price had risen sharply.

Discover more from Valley Signal
"""


@pytest.fixture(autouse=True)
def role_groups():
    """Transactional tests flush the tables, including the groups the migration made."""
    for name in (EDITOR, STANDARDS):
        Group.objects.get_or_create(name=name)


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}{reverse('home')}")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Your desk")).to_be_visible()


def test_log_in_and_take_the_next_article(page: Page, live_server, screenshot_dir):
    make_user("eddie", role="editor")
    article = make_article(title="Harbour fees to double next spring")
    make_attribution(article, source="Finance Minister Anna Berg")

    log_in(page, live_server, "eddie")
    page.screenshot(path=screenshot_dir / "pages-home.png", full_page=True)
    page.get_by_role("button", name="Next article").click()

    expect(page).to_have_url(f"{live_server.url}{reverse('review', args=[article.pk])}")
    expect(page.get_by_text("Harbour fees to double next spring").first).to_be_visible()
    page.screenshot(path=screenshot_dir / "pages-next-article-review.png", full_page=True)
    article.refresh_from_db()
    assert article.assignee.username == "eddie"

    # Back home, the article is in my queue; with nothing else left the button says so.
    page.goto(f"{live_server.url}{reverse('home')}")
    expect(page.get_by_role("link", name="Harbour fees to double next spring")).to_be_visible()
    Article.objects.filter(pk=article.pk).update(state=ArticleState.REVIEWED)
    page.get_by_role("button", name="Next article").click()
    expect(page.get_by_role("status").filter(has_text="Nothing left to review")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/")


def test_an_article_someone_else_took_opens_read_only(browser, live_server, screenshot_dir):
    make_user("eddie", role="editor")
    make_user("fran", role="editor")
    article = make_article(title="Ferry timetable cut")
    attribution = make_attribution(article, source="Finance Minister Anna Berg")
    first, second = browser.new_context(), browser.new_context()
    try:
        eddie, fran = first.new_page(), second.new_page()
        log_in(eddie, live_server, "eddie")
        eddie.get_by_role("button", name="Next article").click()
        expect(eddie).to_have_url(f"{live_server.url}{reverse('review', args=[article.pk])}")
        expect(eddie.locator(f"#attribution-{attribution.pk} .confirm-form button")).to_be_visible()

        log_in(fran, live_server, "fran")
        fran.goto(f"{live_server.url}{reverse('review', args=[article.pk])}")
        expect(fran.get_by_role("status").filter(has_text="eddie is reviewing this article")).to_be_visible()
        expect(fran.locator(f"#attribution-{attribution.pk}")).to_be_visible()
        expect(fran.locator(f"#attribution-{attribution.pk} .confirm-form")).to_have_count(0)
        fran.screenshot(path=screenshot_dir / "pages-held-by-another-editor.png", full_page=True)
    finally:
        first.close()
        second.close()


def test_filter_articles_live_and_reassign_one(page: Page, live_server, screenshot_dir):
    make_user("stan", role="standards")
    make_user("bo", role="editor")
    harbour, valley = make_outlet("Harbour Times"), make_outlet("Valley Signal")
    make_article(outlet=harbour, title="Harbour fees to double")
    ferry = make_article(outlet=valley, title="Ferry contract signed", body="The island council signed the deal.")
    make_article(outlet=valley, title="Water quality report", state=ArticleState.IMPORTED)

    log_in(page, live_server, "stan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Articles", exact=True).click()
    expect(page.locator("#results tbody tr")).to_have_count(3)

    page.get_by_label("Search").fill("island council")  # body text; the list follows as I type
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/articles/?q=island+council")
    page.get_by_label("Outlet").select_option(label="Harbour Times")
    expect(page.locator("#results")).to_contain_text("No articles match.")
    page.get_by_label("Outlet").select_option(label="All outlets")
    expect(page.locator("#results tbody tr")).to_have_count(1)

    row = page.locator(f"#article-{ferry.pk}")
    row.get_by_label("Assignee of Ferry contract signed").select_option(label="bo")
    row.get_by_role("button", name="Assign").click()
    expect(page.locator(f"#article-{ferry.pk}")).to_contain_text("now assigned to bo")
    page.screenshot(path=screenshot_dir / "pages-articles.png", full_page=True)
    ferry.refresh_from_db()
    assert ferry.assignee.username == "bo"

    page.locator(f"#article-{ferry.pk}").get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History of “Ferry contract signed”")).to_be_visible()
    expect(page.locator("#events")).to_contain_text("assignee: — → bo")
    page.screenshot(path=screenshot_dir / "pages-history.png", full_page=True)


def test_import_through_the_web_page(page: Page, live_server, screenshot_dir):
    make_user("stan", role="standards")
    log_in(page, live_server, "stan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import articles")).to_be_visible()

    page.get_by_label("Pasted text").fill(PASTED)
    page.get_by_label("Outlet").fill("Harbour Times")
    page.get_by_label("Files").set_input_files([{"name": "ferry.txt", "mimeType": "text/plain", "buffer": UPLOAD}])
    page.screenshot(path=screenshot_dir / "pages-import-form.png", full_page=True)
    page.get_by_role("button", name="Import").click()

    expect(page).to_have_url(re.compile(r"/import/[\w-]+/$"), timeout=TIMEOUT)
    expect(page.locator("#summary-imported")).to_have_text("2")
    expect(page.locator("#summary-problems")).to_have_text("0")
    expect(page.locator("#import-progress")).to_contain_text("All 2 pre-passed", timeout=TIMEOUT)
    page.screenshot(path=screenshot_dir / "pages-import-result.png", full_page=True)
    titles = set(Article.objects.values_list("title", flat=True))
    assert titles == {"Harbour fees to double next spring", "Ferry contract signed after long delay"}
    assert set(Article.objects.values_list("state", flat=True)) == {ArticleState.PREPASSED}


def test_import_progress_updates_live_while_the_worker_runs(page: Page, live_server, screenshot_dir, monkeypatch):
    """No worker yet: the page polls; when the articles are pre-passed it says so and stops polling."""
    monkeypatch.setattr("annotations.tasks.enqueue_processing", lambda ids, **kw: [])
    make_user("stan", role="standards")
    log_in(page, live_server, "stan")
    page.goto(f"{live_server.url}{reverse('import')}")
    page.get_by_label("Pasted text").fill(PASTED)
    page.get_by_label("Outlet").fill("Harbour Times")
    page.get_by_role("button", name="Import").click()

    progress = page.locator("#import-progress")
    expect(progress).to_contain_text("0 of 1 pre-passed")
    expect(progress).to_have_attribute("hx-trigger", "every 2s")
    page.screenshot(path=screenshot_dir / "pages-import-waiting.png", full_page=True)
    Article.objects.update(state=ArticleState.PREPASSED)  # what the worker does
    expect(progress).to_contain_text("All 1 pre-passed", timeout=10_000)
    expect(page.locator("#import-progress")).not_to_have_attribute("hx-trigger", "every 2s")
    assert page.url.endswith("/")  # polling swapped the fragment; the page did not reload
