"""Model versions in Chromium: a standards editor trains a version, follows its progress live, promotes it; an
editor switches "Next article" to the least sure proposals first."""

from __future__ import annotations

import datetime
import json
import re
import shutil

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Page, expect

from annotations import prepass
from annotations.models import Article, ModelVersion, TrainingStatus
from annotations.roles import EDITOR, STANDARDS
from annotations.services.counts import article_confidence_refresh
from tests.factories import make_article, make_attribution, make_export_article, make_user
from tests.test_pages_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def role_groups():
    """Transactional tests flush the tables, including the groups the migration made."""
    for name in (EDITOR, STANDARDS):
        Group.objects.get_or_create(name=name)


def test_train_follow_the_progress_and_promote(
    page: Page, live_server, screenshot_dir, settings, tmp_path, monkeypatch
):
    settings.MODEL_VERSIONS_DIR = tmp_path
    monkeypatch.setattr("annotations.tasks.enqueue_training", lambda pk: None)  # no worker yet: the page waits
    stan = make_user("stan", role="standards")
    for day in range(3):
        make_export_article(reviewer=stan, published=datetime.date(2026, 3, 1 + day))
    log_in(page, live_server, "stan")
    page.get_by_role("link", name="Models").click()
    expect(page.locator("#active-version")).to_have_text("shipped")
    page.screenshot(path=screenshot_dir / "models-list.png", full_page=True)
    page.get_by_role("button", name="Train a new version").click()
    expect(page).to_have_url(re.compile(r"/models/[0-9]+/$"))
    version = ModelVersion.objects.get()
    expect(page).to_have_url(f"{live_server.url}{reverse('model_version', args=[version.pk])}")
    progress = page.locator("#training-progress")
    expect(progress).to_contain_text("Queued")
    expect(progress).to_have_attribute("hx-trigger", "every 2s")
    ModelVersion.objects.filter(pk=version.pk).update(  # what the worker reports
        status=TrainingStatus.TRAINING, phase="training", progress_done=40, progress_total=100, message="training"
    )
    expect(progress).to_contain_text("40 of 100", timeout=10_000)
    page.screenshot(path=screenshot_dir / "models-training.png", full_page=True)

    # the worker finishes: a pipeline in the version's folder, figures on the row; the page shows them
    target = tmp_path / version.folder / "model"
    shutil.copytree(prepass.DEFAULT_MODEL_DIR, target)
    meta = json.loads((target / "meta.json").read_text())
    meta["sourcing_desk"] = {"model_version": version.version}
    (target / "meta.json").write_text(json.dumps(meta))
    pair = {"old": {"source": 0.79, "cue": 0.77, "content": 0.81, "attribution": 0.65, "docs": 84},
            "new": {"source": 0.80, "cue": 0.78, "content": 0.81, "attribution": 0.66, "docs": 84}}  # fmt: skip
    ModelVersion.objects.filter(pk=version.pk).update(
        status=TrainingStatus.READY,
        figures={"polnear_dev": pair},
        training_data={"reviewed": {"articles": 3, "outlets": {"Harbour Times": 3}}, "train": {}, "dev": {}},
    )
    expect(page.locator("#figures-table")).to_contain_text("PolNeAR dev", timeout=10_000)
    expect(page.locator("#outlets-table")).to_contain_text("Harbour Times")
    page.screenshot(path=screenshot_dir / "models-ready.png", full_page=True)

    page.get_by_role("button", name=f"Promote {version.version}").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('model_versions')}")
    expect(page.locator("#active-version")).to_have_text(version.version)
    expect(page.locator(f"#version-{version.version}")).to_contain_text("in use")
    expect(page.locator(f"#version-{version.version}")).to_contain_text("(+0.010)")
    page.screenshot(path=screenshot_dir / "models-promoted.png", full_page=True)
    assert ModelVersion.objects.get().is_active
    assert (tmp_path / prepass.ACTIVE_POINTER).read_text().strip() == version.folder


def test_an_editor_takes_the_least_sure_article_first(page: Page, live_server, screenshot_dir):
    make_user("eddie", role="editor")
    now = datetime.datetime.now(datetime.UTC)
    articles = {}
    for name, confidence, age in (("sure", 0.9, 2), ("unsure", 0.3, 1)):
        article = make_article(title=f"The {name} one")
        make_attribution(article, source="Finance Minister Anna Berg", confidence=confidence)
        Article.objects.filter(pk=article.pk).update(processed_at=now - datetime.timedelta(hours=age))
        articles[name] = article
    article_confidence_refresh(article_ids=[a.pk for a in articles.values()])
    log_in(page, live_server, "eddie")
    page.get_by_label("Least sure first").check()
    page.screenshot(path=screenshot_dir / "home-least-sure-first.png", full_page=True)
    page.get_by_role("button", name="Next article").click()
    expect(page).to_have_url(re.compile(rf"/articles/{articles['unsure'].pk}/review/$"))
    # the default order would have served the older, surer one; the choice is remembered on the home page
    page.goto(f"{live_server.url}{reverse('home')}")
    expect(page.get_by_label("Least sure first")).to_be_checked()
