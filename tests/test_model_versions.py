"""Model versions (issue 14): training from reviewed articles (tiny sets built here, runs of one epoch), the
version's record, promotion, the re-run that leaves editors' decisions alone, the "least sure first" queue, the
pages and the command. PolNeAR and MCAE are replaced by tiny folders written here."""

from __future__ import annotations

import datetime
import json
import re
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from annotations import prepass, services
from annotations.models import Article, ArticleState, Attribution, Event, ModelVersion, ReviewState, TrainingStatus
from annotations.prepass import learn
from annotations.services import model_versions
from annotations.services.common import ConflictError
from tests.factories import make_article, make_attribution, make_export_article, make_outlet, make_user
from tests.test_prepass_train import write_folder

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SHIPPED_DIR = prepass.DEFAULT_MODEL_DIR
NEWS = (
    "The port authority will double its harbour fees next spring, its chair said on Tuesday. "
    '"We have no choice," said chair Tomas Lind. '
    "Two officials who spoke on condition of anonymity said the price had risen sharply. "
    "Critics warned that the plan would drive ferries away."
)


@pytest.fixture
def dirs(tmp_path, settings):
    """Versions in a folder of the test's own; tiny stand-ins for PolNeAR train/dev and the MCAE dev set."""
    settings.MODEL_VERSIONS_DIR = tmp_path / "versions"
    settings.PREPASS_BASE_CORPUS_DIR = str(write_folder(tmp_path / "polnear-train", 3))
    settings.PREPASS_POLNEAR_DEV_DIR = str(write_folder(tmp_path / "polnear-dev", 2))
    mcae = tmp_path / "mcae"
    mcae.mkdir()
    start = NEWS.index("We have no choice")
    row = {
        "doc": "m1",
        "text": NEWS,
        "meta": {"publisher": "Harbour Times"},
        "sentences": [{"source_type": "named_person", "statement_spans": [[start, start + 17]]}],
    }
    (mcae / "gold.jsonl").write_text(json.dumps(row) + "\n")
    settings.PREPASS_MCAE_DEV_DIR = str(mcae)
    return settings.MODEL_VERSIONS_DIR


@pytest.fixture
def standards():
    return make_user("stan", role="standards")


def reviewed_desk(reviewer, n: int = 5) -> list[Article]:
    """``n`` reviewed articles over two outlets and dates, each with kept attributions and a rejected one."""
    outlets = [make_outlet("Harbour Times"), make_outlet("Valley Signal")]
    return [
        make_export_article(
            outlet=outlets[i % 2], reviewer=reviewer, published=datetime.date(2026, 3, 1) + datetime.timedelta(i)
        )
        for i in range(n)
    ]


def fake_version(standards, *, copy: bool = True) -> ModelVersion:
    """A ready version whose pipeline is a copy of the shipped model that says it is this version."""
    version = ModelVersion.objects.create(version="pending", status=TrainingStatus.READY, trained_by=standards)
    version.version = version.folder = f"v{version.pk}"
    version.based_on = prepass.SHIPPED_VERSION
    version.save()
    if not copy:
        return version
    target = model_versions.versions_root() / version.folder / "model"
    shutil.copytree(SHIPPED_DIR, target)
    meta = json.loads((target / "meta.json").read_text())
    meta["sourcing_desk"] = {"model_version": version.version}
    (target / "meta.json").write_text(json.dumps(meta))
    return version


# --- training data ---------------------------------------------------------------------------------------------


def test_training_data_is_the_reviewed_export_with_rejections_as_negatives(dirs, standards, tmp_path):
    reviewed = reviewed_desk(standards, 2)
    make_export_article(state=ArticleState.IN_REVIEW)  # unreviewed: never counts
    path = tmp_path / "reviewed.jsonl"
    model_versions._export_reviewed(path, None, lambda: None)
    read = learn.read_reviewed_jsonl(path)
    assert sorted(d.article_id for d in read.docs) == sorted(a.pk for a in reviewed)
    doc = read.docs[0]
    article = Article.objects.get(pk=doc.article_id)
    kept = article.attributions.exclude(review_state=ReviewState.REJECTED)
    assert len(doc.attributions) == kept.count() == 5
    (rejected,) = doc.rejected
    assert doc.text[rejected.cue[0][0] : rejected.cue[0][1]] == "said"
    assert doc.text[rejected.source[0][0] : rejected.source[0][1]] == "officials"
    assert {a.source_type for a in doc.attributions} >= {"named_person", "anonymous", "media", "document"}


# --- a whole run through the standards editors' button --------------------------------------------------------


def test_the_button_trains_a_version_that_records_data_figures_and_who(
    client, dirs, standards, django_capture_on_commit_callbacks
):
    reviewed_desk(standards)
    client.force_login(standards)
    with django_capture_on_commit_callbacks(execute=True):  # the immediate task backend trains at once
        response = client.post(reverse("model_version_train"), {"base_corpus": "on", "warm_start": "on", "epochs": 1})
    version = ModelVersion.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("model_version", args=[version.pk])
    assert version.status == TrainingStatus.READY, version.error
    assert version.version == f"v{version.pk}" and version.trained_by == standards and not version.is_active
    assert version.based_on == prepass.SHIPPED_VERSION
    data = version.training_data
    assert data["reviewed"]["articles"] == 5
    assert data["reviewed"]["outlets"] == {"Harbour Times": 3, "Valley Signal": 2}
    assert (data["reviewed"]["published_from"], data["reviewed"]["published_to"]) == ("2026-03-01", "2026-03-05")
    assert data["dev"]["articles"] >= 1 and data["base_corpus"]["articles"] == 3
    assert data["negative_tokens"] > 0
    assert set(version.figures) == {"reviewed_dev", "polnear_dev", "mcae_dev"}
    for pair in version.figures.values():
        assert set(pair) == {"old", "new"}
    assert set(learn.ROLE_KEYS) <= set(version.figures["polnear_dev"]["new"])
    assert version.figures["mcae_dev"]["old"]["statements"] == 1
    assert version.minutes is not None and version.result["options"]["epochs"] == 1
    folder = dirs / version.folder
    assert prepass.version_model_dir(version.folder) == folder / "model"
    assert json.loads((folder / "model" / "meta.json").read_text())["sourcing_desk"]["model_version"] == version.version
    assert len((folder / "reviewed.jsonl").read_text().splitlines()) == 5  # what it learnt from, as exported
    actions = list(Event.objects.filter(object_type="model_version").order_by("pk").values_list("action", flat=True))
    assert actions == ["train_queued", "trained"]
    page = client.get(reverse("model_version", args=[version.pk])).content.decode()
    assert "Old and new side by side" in page and "Harbour Times" in page and "Promote" in page


def test_only_one_run_at_a_time_and_only_with_reviewed_articles(dirs, standards, monkeypatch):
    with pytest.raises(ConflictError, match="No reviewed articles"):
        model_versions.model_version_queue(user=standards)
    reviewed_desk(standards, 1)
    monkeypatch.setattr("annotations.tasks.enqueue_training", lambda *a: None)
    first = model_versions.model_version_queue(user=standards)
    with pytest.raises(ConflictError, match=f"already queued: {first.version}"):
        model_versions.model_version_queue(user=standards)
    # a run whose worker died (no progress for longer than MODEL_TRAINING_STALE_MINUTES) no longer blocks
    ModelVersion.objects.filter(pk=first.pk).update(status=TrainingStatus.TRAINING)
    ModelVersion.objects.filter(pk=first.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=2))
    second = model_versions.model_version_queue(user=standards)
    first.refresh_from_db()
    assert first.status == TrainingStatus.FAILED and "no progress" in first.error
    assert second.status == TrainingStatus.QUEUED


def test_a_failed_run_says_why_and_changes_nothing_live(dirs, standards, monkeypatch):
    reviewed_desk(standards, 2)

    def boom(*args, **kwargs):
        raise ValueError("reviewed.jsonl, line 2, field 'text': missing or not a string")

    monkeypatch.setattr(learn, "train_from_reviews", boom)
    version = model_versions.model_version_start(user=standards)
    with pytest.raises(ValueError):
        model_versions.model_version_train(version_id=version.pk)
    version.refresh_from_db()
    assert version.status == TrainingStatus.FAILED and "line 2, field 'text'" in version.error
    assert not ModelVersion.objects.filter(is_active=True).exists()
    assert Event.objects.filter(object_type="model_version", action="train_failed").count() == 1
    with pytest.raises(ConflictError, match="failed: only a ready version"):
        model_versions.model_version_promote(version_id=version.pk, user=standards)


def test_the_command_trains_from_reviews_and_promotes(dirs, standards, capsys, django_capture_on_commit_callbacks):
    reviewed_desk(standards, 3)
    with pytest.raises(CommandError, match="no such standards editor"):
        call_command("train_prepass", "--from-reviews", "--user", "nobody")
    args = ["--from-reviews", "--user", "stan", "--epochs", "1", "--no-base-corpus", "--promote"]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("train_prepass", *args)
    version = ModelVersion.objects.get()
    assert version.status == TrainingStatus.READY and version.is_active and version.trained_by == standards
    assert version.training_data["base_corpus"] is None and version.options["base_corpus"] is False
    out = capsys.readouterr().out
    assert f"{version.version} is now active" in out and '"polnear_dev"' in out
    assert (dirs / prepass.ACTIVE_POINTER).read_text().strip() == version.folder


# --- promotion, the re-run, what proposals record ---------------------------------------------------------------


def processed(body: str = NEWS, **kw) -> Article:
    article = make_article(body=body, state=ArticleState.IMPORTED, sentences=False, **kw)
    services.articles_process(article_ids=[article.pk])
    article.refresh_from_db()
    return article


def test_proposals_record_the_model_and_the_article_how_sure_it_was(dirs):
    article = processed()
    proposals = list(article.attributions.all())
    assert proposals and {a.model_version for a in proposals} == {prepass.SHIPPED_VERSION}
    assert {a.proposal["model_version"] for a in proposals} == {prepass.SHIPPED_VERSION}
    assert article.model_version == prepass.SHIPPED_VERSION
    mean = sum(a.confidence for a in proposals) / len(proposals)
    assert article.proposal_confidence == pytest.approx(mean)
    event = Event.objects.get(article_id=article.pk, action="prepass")
    assert event.after["model_version"] == prepass.SHIPPED_VERSION


def test_promotion_reruns_unreviewed_articles_and_never_touches_a_decision(
    dirs, standards, django_capture_on_commit_callbacks
):
    editor = make_user("eddie")
    other = make_user("fran")
    working = processed()
    untouched = processed(body=NEWS + " The council will vote in May.")
    finished = processed(body="Reviewed. " + NEWS)
    held = processed(body="Held. " + NEWS)
    rows = list(working.attributions.in_reading_order())
    assert len(rows) >= 3
    services.attribution_confirm(attribution_id=rows[0].pk, user=editor, version=rows[0].version)
    services.attribution_reject(attribution_id=rows[1].pk, user=editor, version=rows[1].version)
    services.attribution_correct(
        attribution_id=rows[2].pk, user=editor, version=rows[2].version, changes={"source_type": "document"}
    )
    services.attribution_add(
        article_id=working.pk,
        user=editor,
        fields={
            "source_type": "unspecified",
            "cue_start": NEWS.index("harbour"),
            "cue_end": NEWS.index("harbour") + 12,
        },
    )
    decided = {a["id"]: a for a in working.attributions.exclude(review_state=ReviewState.PROPOSED).values()}
    assert len(decided) == 4
    for row in finished.attributions.all():
        services.attribution_confirm(attribution_id=row.pk, user=editor, version=row.version)
    finished_sentences = finished.sentences.all()
    finished_sentences.filter(label="").update(label="no_claim")
    services.article_mark_reviewed(article_id=finished.pk, user=editor)
    finished_rows = list(finished.attributions.values())
    Article.objects.filter(pk=held.pk).update(
        assignee=other, lease_expires_at=timezone.now() + datetime.timedelta(minutes=20)
    )
    held_rows = list(held.attributions.values())

    version = fake_version(standards)
    assert model_versions.rerun_candidates() == []  # nothing is behind yet: the shipped model is in use
    with django_capture_on_commit_callbacks(execute=True):
        promotion = model_versions.model_version_promote(version_id=version.pk, user=standards, rerun=True)
    assert sorted(promotion.rerun) == sorted([working.pk, untouched.pk])  # not the reviewed one, nor the held one
    version.refresh_from_db()
    assert version.is_active and version.promoted_by == standards

    # every decision exactly as it was
    after = {a["id"]: a for a in working.attributions.exclude(review_state=ReviewState.PROPOSED).values()}
    assert after == decided
    # the open proposals are the new model's now
    for article in (working, untouched):
        article.refresh_from_db()
        assert article.model_version == version.version
        assert set(article.attributions.untouched().values_list("model_version", flat=True)) == {version.version}
    assert list(finished.attributions.values()) == finished_rows  # reviewed: left alone
    assert list(held.attributions.values()) == held_rows  # an editor holds it: left for later
    assert model_versions.rerun_candidates() == []  # "held" is still leased
    Article.objects.filter(pk=held.pk).update(lease_expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert model_versions.rerun_candidates() == [held.pk]

    # the pre-pass itself loads the promoted version (it reads MODEL_VERSIONS_DIR/ACTIVE, not the database)
    assert (dirs / prepass.ACTIVE_POINTER).read_text().strip() == version.folder
    assert prepass.model_version_of(prepass.get_nlp()) == version.version
    event = Event.objects.get(object_type="model_version", action="promote")
    assert event.actor == standards and event.before == {"active": "shipped"}
    assert event.after == {"active": version.version, "rerun": 2}

    # and back to the shipped model
    with django_capture_on_commit_callbacks(execute=True):
        model_versions.model_version_use_shipped(user=standards, rerun=False)
    assert not ModelVersion.objects.filter(is_active=True).exists()
    assert not (dirs / prepass.ACTIVE_POINTER).exists()
    assert prepass.model_version_of(prepass.get_nlp()) == prepass.SHIPPED_VERSION
    assert model_versions.active_label() == prepass.SHIPPED_VERSION


def test_the_database_decides_which_model_the_prepass_runs(dirs, standards):
    """A stale ACTIVE file (a restored database, a crash after the commit) is put right by the next run."""
    version = fake_version(standards)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    assert model_versions.active_model_name() == str(dirs / version.folder / "model")
    assert (dirs / prepass.ACTIVE_POINTER).read_text().strip() == version.folder
    ModelVersion.objects.update(is_active=False)
    assert model_versions.active_model_name() == str(SHIPPED_DIR)
    assert not (dirs / prepass.ACTIVE_POINTER).exists()
    # the active version's folder missing on this machine: the shipped model, and the proposals say so
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    shutil.rmtree(dirs / version.folder)
    assert model_versions.active_model_name() == str(SHIPPED_DIR)


def test_promotion_refuses_what_cannot_be_used(dirs, standards):
    version = fake_version(standards)
    shutil.rmtree(dirs / version.folder / "model")
    with pytest.raises(ConflictError, match="model folder is missing"):
        model_versions.model_version_promote(version_id=version.pk, user=standards)
    with pytest.raises(ConflictError, match="already the one in use"):
        model_versions.model_version_use_shipped(user=standards)


# --- "least sure first" --------------------------------------------------------------------------------------------


def article_with_confidence(*confidences: float, **kw) -> Article:
    article = make_article(**kw)
    for i, value in enumerate(confidences):
        make_attribution(article, source=None, cue="said" if i == 0 else "said it", confidence=value)
    services.article_counts_refresh(article_ids=[article.pk])
    from annotations.services.counts import article_confidence_refresh

    article_confidence_refresh(article_ids=[article.pk])
    article.refresh_from_db()
    return article


def test_least_sure_first_serves_the_lowest_mean_confidence(django_assert_max_num_queries):
    sure = article_with_confidence(0.9, 0.8)
    unsure = article_with_confidence(0.3, 0.5)
    middling = article_with_confidence(0.6)
    empty = make_article()  # no proposals: after the others
    assert unsure.proposal_confidence == pytest.approx(0.4)
    order = []
    for n in range(4):
        user = make_user(f"u{n}")
        with django_assert_max_num_queries(7):
            order.append(services.article_lease_next(user=user, order="uncertain"))
    assert order == [unsure, middling, sure, empty]


def test_the_default_order_stays(django_assert_max_num_queries):
    first = article_with_confidence(0.9)
    second = article_with_confidence(0.1)
    Article.objects.filter(pk=first.pk).update(processed_at=timezone.now() - datetime.timedelta(hours=1))
    Article.objects.filter(pk=second.pk).update(processed_at=timezone.now())
    assert services.article_lease_next(user=make_user()) == first
    with pytest.raises(ValueError, match="unknown queue order"):
        services.article_lease_next(user=make_user(), order="random")


def test_home_page_switch_picks_the_order_and_remembers_it(client):
    sure = article_with_confidence(0.9)
    unsure = article_with_confidence(0.2)
    Article.objects.filter(pk=unsure.pk).update(processed_at=timezone.now())
    Article.objects.filter(pk=sure.pk).update(processed_at=timezone.now() - datetime.timedelta(hours=1))
    editor = make_user("eddie")
    client.force_login(editor)
    page = client.get(reverse("home")).content.decode()
    assert 'value="default"' in page and 'value="uncertain"' in page and "Least sure first" in page
    response = client.post(reverse("next_article"), {"order": "uncertain"})
    assert response["Location"] == reverse("review", args=[unsure.pk])
    assert client.session["queue_order"] == "uncertain"
    page = client.get(reverse("home")).content.decode()
    assert re.search(r'value="uncertain"[^>]* checked', page) and not re.search(r'value="default"[^>]* checked', page)
    bad = client.post(reverse("next_article"), {"order": "random"})  # ignored: the remembered order
    assert bad.status_code == 302


# --- pages ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("model_versions", [], "get"),
        ("model_version_train", [], "post"),
        ("model_version", [1], "get"),
        ("model_version_promote", [1], "post"),
        ("model_use_shipped", [], "post"),
        ("model_rerun", [], "post"),
    ],
)
def test_model_pages_are_for_standards_editors_only(client, name, args, method):
    url = reverse(name, args=args)
    assert getattr(client, method)(url).status_code == 302  # to the login page
    client.force_login(make_user("eddie", role="editor"))
    assert getattr(client, method)(url).status_code == 403


def test_versions_side_by_side_in_a_constant_number_of_queries(client, dirs, standards, django_assert_max_num_queries):
    client.force_login(standards)
    for n in range(4):
        version = fake_version(standards, copy=False)
        figures = {"old": {r: 0.5 for r in learn.ROLE_KEYS}, "new": {r: 0.5 + n / 100 for r in learn.ROLE_KEYS}}
        ModelVersion.objects.filter(pk=version.pk).update(
            figures={"polnear_dev": figures, "reviewed_dev": {**figures, "new": {**figures["new"], "docs": 3}}},
            training_data={"reviewed": {"articles": 10 + n, "outlets": {"A": 10}}},
        )
    with django_assert_max_num_queries(12):
        response = client.get(reverse("model_versions"))
    page = response.content.decode()
    assert response.status_code == 200 and page.count("Promote v") == 4
    assert "0.530" in page and "(+0.030)" in page and 'In use: <span id="active-version">shipped' in page


def test_progress_fragment_polls_while_training_and_refreshes_when_done(client, dirs, standards):
    client.force_login(standards)
    version = fake_version(standards)
    ModelVersion.objects.filter(pk=version.pk).update(
        status=TrainingStatus.TRAINING, phase="training", progress_done=30, progress_total=120, message="training"
    )
    url = reverse("model_version", args=[version.pk])
    response = client.get(url + "?running=1", **HX)
    html = response.content.decode()
    assert "<html" not in html and 'hx-trigger="every 2s"' in html and "30 of 120" in html
    assert "HX-Refresh" not in response and "HX-Request" in response["Vary"]
    ModelVersion.objects.filter(pk=version.pk).update(status=TrainingStatus.READY)
    response = client.get(url + "?running=1", **HX)
    assert response["HX-Refresh"] == "true" and "every 2s" not in response.content.decode()


def test_promote_and_rerun_buttons(client, dirs, standards, monkeypatch, django_capture_on_commit_callbacks):
    queued: list = []
    monkeypatch.setattr("annotations.tasks.enqueue_processing", lambda ids, **kw: queued.append((list(ids), kw)))
    client.force_login(standards)
    behind = make_article()  # made by an older model ("" recorded)
    version = fake_version(standards)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("model_version_promote", args=[version.pk]), {"rerun": "on"})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.is_active
    assert queued == [([behind.pk], {"force": True, "unreviewed_only": True})]
    again = client.post(reverse("model_version_promote", args=[version.pk]), {"rerun": "on"}, follow=True)
    assert "already the active version" in again.content.decode()
    page = client.get(reverse("model_versions")).content.decode()
    assert "1 unreviewed article nobody holds still carries proposals" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("model_rerun"))
    assert queued[-1] == ([behind.pk], {"force": True, "unreviewed_only": True})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("model_use_shipped"), {})
    assert not ModelVersion.objects.filter(is_active=True).exists() and len(queued) == 2  # no re-run asked


def test_train_button_refuses_a_second_run(client, dirs, standards, monkeypatch):
    monkeypatch.setattr("annotations.tasks.enqueue_training", lambda *a: None)
    client.force_login(standards)
    reviewed_desk(standards, 1)
    first = client.post(reverse("model_version_train"), {"base_corpus": "on", "epochs": 4}, **HX)
    assert first.status_code == 200 and first["HX-Redirect"].startswith("/models/")
    page = client.post(reverse("model_version_train"), {"epochs": 4}, follow=True).content.decode()
    assert "already queued" in page and ModelVersion.objects.count() == 1
    assert "is queued" in page and "Follow its progress" in page
    bad = client.post(reverse("model_version_train"), {"epochs": 40}, follow=True).content.decode()
    assert "epochs" in bad and ModelVersion.objects.count() == 1
    assert Attribution.objects.exists()  # the desk's data is untouched by all of this


def test_prepass_command_reruns_what_another_model_made(dirs, standards, django_capture_on_commit_callbacks):
    article = processed()
    reviewed = processed(body="Reviewed. " + NEWS)
    Article.objects.filter(pk=reviewed.pk).update(state=ArticleState.REVIEWED)
    version = fake_version(standards)
    with django_capture_on_commit_callbacks(execute=True):
        model_versions.model_version_promote(version_id=version.pk, user=standards, rerun=False)
    assert model_versions.rerun_candidates() == [article.pk]
    call_command("prepass", "--stale-model")
    article.refresh_from_db()
    reviewed.refresh_from_db()
    assert article.model_version == version.version and reviewed.model_version == prepass.SHIPPED_VERSION
    assert model_versions.rerun_candidates() == []


def test_a_dead_run_does_not_hide_the_train_button(client, dirs, standards, monkeypatch):
    monkeypatch.setattr("annotations.tasks.enqueue_training", lambda *a: None)
    client.force_login(standards)
    reviewed_desk(standards, 1)
    version = model_versions.model_version_queue(user=standards)
    assert "Follow its progress" in client.get(reverse("model_versions")).content.decode()
    ModelVersion.objects.filter(pk=version.pk).update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    page = client.get(reverse("model_versions")).content.decode()
    assert "Follow its progress" not in page and 'id="train-form"' in page
