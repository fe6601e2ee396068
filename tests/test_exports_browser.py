"""The export page in Chromium: a standards user logs in, narrows the filters (live count), downloads."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from annotations.models import ArticleState
from annotations.roles import EDITOR, STANDARDS
from tests.factories import make_export_article, make_outlet, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Sourcing-1"


@pytest.fixture(autouse=True)
def role_groups():
    for name in (EDITOR, STANDARDS):
        Group.objects.get_or_create(name=name)


def test_standards_user_filters_and_downloads(page: Page, live_server, screenshot_dir, tmp_path):
    make_user("std-browser", role=STANDARDS)
    editor = make_user("ed-browser", role=EDITOR)
    daily, other = make_outlet("Daily Browser"), make_outlet("Other Browser")
    keep = make_export_article(outlet=daily, reviewer=editor)
    make_export_article(outlet=other, reviewer=editor)
    make_export_article(outlet=daily, state=ArticleState.IN_REVIEW)

    page.goto(f"{live_server.url}/exports/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/exports/$"))
    page.get_by_label("Username").fill("std-browser")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Export annotated articles")).to_be_visible()
    expect(page.get_by_role("link", name="Exports")).to_have_attribute("aria-current", "page")
    summary = page.locator("#export-summary")
    expect(summary).to_contain_text("2 articles match")

    page.get_by_label("Outlets").select_option(label="Daily Browser")
    expect(summary).to_contain_text("1 article matches")
    page.get_by_label("Also articles not yet reviewed").check()
    expect(summary).to_contain_text("2 articles match")
    page.get_by_label("Reviewed articles only").check()
    expect(summary).to_contain_text("1 article matches")
    page.screenshot(path=str(screenshot_dir / "exports-page.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    download = info.value
    assert re.fullmatch(r"sourcing-desk-\d{8}-\d{4}\.jsonl", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["article_id"] for r in records] == [keep.pk]
