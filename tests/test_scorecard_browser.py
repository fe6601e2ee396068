"""The scorecard in Chromium: log in, the overview (sort, filter), an outlet page, a comparison; screenshots."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Page, expect

from annotations import services
from annotations.models import Article, ArticleState, ReviewState, Sentence, SentenceLabel, SourceType
from annotations.roles import EDITOR, STANDARDS
from tests.factories import DEFAULT_BODY, make_article, make_attribution, make_outlet, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Sourcing-1"
JUSTIFICATION = "who spoke on condition of anonymity because talks were private"
DESCRIPTORS = ["Pentagon", "senior", "European", "administration", "police", "industry"]
# (name, how often a source is anonymous, how often anonymity is explained)
OUTLETS = [
    ("The Daily Ledger", 0.15, 0.7),
    ("Harbour Gazette", 0.35, 0.3),
    ("Evening Wire", 0.25, 0.5),
    ("Valley Signal", 0.08, 0.8),
    ("Metro Courier", 0.45, 0.2),
]


@pytest.fixture(autouse=True)
def role_groups():
    """Transactional tests flush the tables, including the groups the migration made."""
    for name in (EDITOR, STANDARDS):
        Group.objects.get_or_create(name=name)


def fill() -> None:
    rng = random.Random(5)
    start = DEFAULT_BODY.index(JUSTIFICATION)
    for name, anon_rate, justified_rate in OUTLETS:
        outlet = make_outlet(name)
        for i in range(14):
            article = make_article(
                outlet=outlet,
                state=ArticleState.REVIEWED,
                title=f"{name.split()[-1]} story {i + 1}",
                published=dt.date(2025, 1 + i % 7, 3 + i),
            )
            labels = [
                SentenceLabel.SOURCED,
                SentenceLabel.SOURCED,
                SentenceLabel.UNSOURCED_CLAIM if rng.random() < 0.4 else SentenceLabel.NO_CLAIM,
            ]
            for sentence, label in zip(article.sentences.order_by("index"), labels, strict=True):
                Sentence.objects.filter(pk=sentence.pk).update(label=label)
            for _ in range(rng.randint(3, 7)):
                if rng.random() < anon_rate:
                    extra = {"anon_justification_start": start, "anon_justification_end": start + len(JUSTIFICATION)}
                    make_attribution(
                        article,
                        source="A senior official",
                        cue=None,
                        source_type=SourceType.ANONYMOUS,
                        review_state=ReviewState.CONFIRMED,
                        anon_descriptor=rng.choice(DESCRIPTORS),
                        anon_specificity=rng.choice(["bare", "affiliated", "role"]),
                        via="Reuters" if rng.random() < 0.2 else "",
                        **(extra if rng.random() < justified_rate else {}),
                    )
                else:
                    make_attribution(
                        article,
                        source="Finance Minister Anna Berg",
                        source_type=rng.choice(
                            [SourceType.NAMED_PERSON, SourceType.NAMED_ORGANIZATION, SourceType.DOCUMENT]
                        ),
                        review_state=ReviewState.CONFIRMED,
                    )
    make_outlet("Quiet Times")  # nothing reviewed yet: "no data"
    # the factories write rows directly, not through the services: fill the scorecard's summary rows
    services.article_counts_refresh(article_ids=Article.objects.values_list("pk", flat=True))


def log_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}{reverse('scorecard')}")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/scorecard/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('scorecard')}")


def test_scorecard_pages(page: Page, live_server, screenshot_dir):
    fill()
    make_user("stan", role="standards")
    page.set_viewport_size({"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server, "stan")

    # the overview: chart, table, sortable with htmx (the URL follows)
    expect(page.get_by_role("heading", name="Outlet scorecard")).to_be_visible()
    expect(page.get_by_role("img", name="Share of attributions that are anonymous, by outlet")).to_be_visible()
    table = page.locator("table.sc-table")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table.locator("tbody tr").filter(has_text="Quiet Times")).to_contain_text("no data")
    page.get_by_role("link", name=re.compile(r"^Anonymous sources")).click()
    expect(page).to_have_url(re.compile(r"sort=anonymous&dir=desc"))
    expect(table.locator("tbody tr").first).to_contain_text("Metro Courier")
    expect(table.locator("tbody tr").last).to_contain_text("Quiet Times")
    page.screenshot(path=str(screenshot_dir / "scorecard-overview.png"), full_page=True)

    # the unreviewed switch says so plainly
    page.get_by_label("Include unreviewed proposals").check()
    expect(page.get_by_role("note")).to_contain_text("Unreviewed figures")
    expect(page).to_have_url(re.compile(r"unreviewed=1"))
    page.get_by_label("Include unreviewed proposals").uncheck()
    expect(page.locator(".sc-scope")).to_contain_text("Reviewed articles only")

    # an outlet page: cards, trends, descriptors, examples linking into the review page
    table.get_by_role("link", name="Harbour Gazette").click()
    expect(page.get_by_role("heading", name="Harbour Gazette", level=1)).to_be_visible()
    expect(page.locator(".sc-card")).to_have_count(7)
    expect(page.locator("svg.sc-trend")).to_have_count(4)
    link = page.get_by_role("link", name="Open in review").first
    expect(link).to_have_attribute("href", re.compile(r"/articles/\d+/review/#sentence-\d+$"))
    page.screenshot(path=str(screenshot_dir / "scorecard-outlet.png"), full_page=True)

    # a date range narrows it (htmx swap, plain GET underneath)
    page.get_by_label("Published from").fill("2025-03-01")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"from=2025-03-01"))
    expect(page.locator(".sc-scope")).to_contain_text("from 1 Mar 2025")

    # a comparison
    page.goto(
        f"{live_server.url}{reverse('scorecard_compare')}?outlet=harbour-gazette&outlet=valley-signal"
        "&outlet=metro-courier&outlet=quiet-times"
    )
    expect(page.get_by_role("heading", name="Compare outlets")).to_be_visible()
    expect(page.locator("table.sc-compare thead th")).to_have_count(5)
    expect(page.locator("svg.sc-dotplot")).to_have_count(6)
    page.get_by_label("The Daily Ledger").check()
    expect(page.locator("table.sc-compare thead th")).to_have_count(6)
    page.screenshot(path=str(screenshot_dir / "scorecard-compare.png"), full_page=True)
    # htmx 2 injects its indicator <style> on every page unless htmx.config.includeIndicatorStyles is false:
    # a site-wide matter of base.html, not of these pages. Anything else the CSP refuses is a failure here.
    refused = [e for e in errors if "Content Security Policy" in e and not e.startswith("Applying inline style")]
    assert not refused, refused
