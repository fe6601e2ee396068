"""The admin writes through the services: read-only queue fields, versioned edits, deletes with events and counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Article, ArticleCounts, ArticleState, Attribution, Event, Outlet, Sentence
from annotations.services import admin as admin_services
from tests.factories import make_article, make_attribution, make_outlet, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def root():
    return make_user("root", role=None, is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, root):
    client.force_login(root)
    return client


def change_url(obj) -> str:
    return reverse(f"admin:annotations_{obj._meta.model_name}_change", args=[obj.pk])


def changelist_url(model) -> str:
    return reverse(f"admin:annotations_{model._meta.model_name}_changelist")


def counts_as_rebuilt() -> list[tuple]:
    """The counts rows as they are, and as a full rebuild makes them: must be equal."""
    fields = [f.attname for f in ArticleCounts._meta.fields]
    now = sorted(ArticleCounts.objects.values_list(*fields))
    services.article_counts_rebuild()
    rebuilt = sorted(ArticleCounts.objects.values_list(*fields))
    assert now == rebuilt
    return now


def form_data(article: Article, **changes) -> dict:
    data = {
        "outlet": article.outlet_id,
        "title": article.title,
        "byline": article.byline,
        "url": article.url,
        "published": article.published.isoformat() if article.published else "",
        "external_id": article.external_id,
        "seen_version": article.version,
        # the read-only sentence inline's management form
        "sentences-TOTAL_FORMS": "0",
        "sentences-INITIAL_FORMS": "0",
        "sentences-MIN_NUM_FORMS": "0",
        "sentences-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


# --- the article form ------------------------------------------------------------------------------------


def test_queue_fields_are_read_only_in_the_article_form(admin_client):
    article = make_article()
    html = admin_client.get(change_url(article)).content.decode()
    for name in ("state", "assignee", "lease_expires_at", "version", "body"):
        assert f'name="{name}"' not in html
    assert 'name="title"' in html and 'name="seen_version"' in html


def test_an_edit_goes_through_the_service_with_an_event_and_a_new_version(admin_client, root):
    article = make_article(state=ArticleState.IN_REVIEW)
    other = make_outlet("The Other")
    before_events = Event.objects.count()
    data = form_data(article, title="A better title", outlet=other.pk, published="2026-01-02")
    # fields the services own are ignored even when posted
    data.update({"state": ArticleState.REVIEWED, "assignee": root.pk, "version": 99})
    response = admin_client.post(change_url(article), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    assert (article.title, article.outlet_id, article.state, article.assignee_id, article.version) == (
        "A better title",
        other.pk,
        ArticleState.IN_REVIEW,
        None,
        2,
    )
    event = Event.objects.order_by("-id").first()
    assert Event.objects.count() == before_events + 1
    assert (event.action, event.object_type, event.object_id, event.actor) == ("edit", "article", article.pk, root)
    assert event.before["title"] != event.after["title"] == "A better title"
    counts = ArticleCounts.objects.get(article=article)
    assert (counts.outlet_id, str(counts.published)) == (other.pk, "2026-01-02")
    counts_as_rebuilt()


def test_an_edit_against_a_stale_version_is_409_and_nothing_is_written(admin_client):
    article = make_article()
    data = form_data(article, title="Mine")
    # someone else changes the article after the form was loaded
    admin_services.article_edit(article_id=article.pk, user=make_user(), version=1, changes={"title": "Theirs"})
    before_events = Event.objects.count()
    response = admin_client.post(change_url(article), data)
    assert response.status_code == 409
    assert "changed by" in response.content.decode()
    article.refresh_from_db()
    assert (article.title, article.version) == ("Theirs", 2)
    assert Event.objects.count() == before_events


def test_an_edit_without_the_version_is_refused(admin_client):
    article = make_article()
    data = form_data(article, title="Mine")
    del data["seen_version"]
    response = admin_client.post(change_url(article), data)
    assert response.status_code == 200  # the form again, with the error
    article.refresh_from_db()
    assert article.title != "Mine" and article.version == 1


def test_an_unchanged_save_writes_nothing(admin_client):
    article = make_article()
    before_events = Event.objects.count()
    assert admin_client.post(change_url(article), form_data(article)).status_code == 302
    article.refresh_from_db()
    assert article.version == 1 and Event.objects.count() == before_events


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://example.com/a"])
def test_the_admin_refuses_a_url_that_is_not_http(admin_client, url):
    article = make_article()
    response = admin_client.post(change_url(article), form_data(article, url=url))
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    article.refresh_from_db()
    assert article.url == "" and article.version == 1


def test_articles_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:annotations_article_add")).status_code == 403


def test_the_edit_service_checks_versions_and_fields():
    article = make_article()
    user = make_user()
    with pytest.raises(services.StaleVersionError):
        admin_services.article_edit(article_id=article.pk, user=user, version=7, changes={"title": "x"})
    with pytest.raises(admin_services.ValidationError):
        admin_services.article_edit(article_id=article.pk, user=user, version=1, changes={"state": "reviewed"})
    with pytest.raises(admin_services.ValidationError):
        admin_services.article_edit(article_id=article.pk, user=user, version=None, changes={"title": "x"})
    assert Article.objects.get(pk=article.pk).version == 1


# --- deletes ---------------------------------------------------------------------------------------------


def test_deleting_an_article_leaves_an_event_and_its_counts_go(admin_client, root):
    outlet = make_outlet("The Ledger")
    gone, kept = make_article(outlet=outlet), make_article(outlet=outlet)
    make_attribution(gone, source="Finance Minister Anna Berg")
    response = admin_client.post(reverse("admin:annotations_article_delete", args=[gone.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=gone.pk).exists()
    assert list(ArticleCounts.objects.values_list("article_id", flat=True)) == [kept.pk]
    event = Event.objects.get(action="delete", object_id=gone.pk)
    assert (event.object_type, event.article_id, event.actor) == ("article", gone.pk, root)
    assert event.before["title"] == gone.title and event.before["attributions"] == 1
    assert event.before["counts"]["p_total"] == 1
    counts_as_rebuilt()
    # the history outlives the article
    assert Event.objects.filter(article_id=gone.pk).exists()


def test_the_bulk_delete_action_on_articles_goes_through_the_service(admin_client):
    articles = [make_article() for _ in range(3)]
    for article in articles:
        make_attribution(article, source="Finance Minister Anna Berg")
    doomed = [a.pk for a in articles[:2]]
    response = admin_client.post(
        changelist_url(Article), {"action": "delete_selected", "_selected_action": doomed, "post": "yes"}
    )
    assert response.status_code == 302
    assert list(Article.objects.values_list("pk", flat=True)) == [articles[2].pk]
    assert sorted(Event.objects.filter(action="delete").values_list("object_id", flat=True)) == doomed
    assert list(ArticleCounts.objects.values_list("article_id", flat=True)) == [articles[2].pk]
    assert not Attribution.objects.filter(article_id__in=doomed).exists()
    counts_as_rebuilt()


def test_deleting_attributions_refreshes_the_counts_and_leaves_events(admin_client):
    article = make_article()
    berg = make_attribution(article, source="Finance Minister Anna Berg", review_state="confirmed")
    official = make_attribution(
        article, source="A senior official", cue="said it", source_type="anonymous", speaker_ref=berg
    )
    third = make_attribution(article, source="The bridge", cue=None)
    assert ArticleCounts.objects.get(article=article).d_total == 1
    response = admin_client.post(
        changelist_url(Attribution), {"action": "delete_selected", "_selected_action": [berg.pk], "post": "yes"}
    )
    assert response.status_code == 302
    counts = ArticleCounts.objects.get(article=article)
    assert (counts.d_total, counts.p_total, counts.p_anonymous) == (0, 2, 1)
    event = Event.objects.get(action="delete", object_type="attribution")
    assert (event.object_id, event.article_id, event.before["review_state"]) == (berg.pk, article.pk, "confirmed")
    # the continuation that named the deleted attribution as its speaker loses the reference, as a new version
    official.refresh_from_db()
    assert official.speaker_ref_id is None and official.version == 2
    unlink = Event.objects.get(action="edit", object_id=official.pk)
    assert unlink.before["speaker_ref_id"] == berg.pk and unlink.after["speaker_ref_id"] is None
    # one attribution through the delete page
    response = admin_client.post(reverse("admin:annotations_attribution_delete", args=[third.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert ArticleCounts.objects.get(article=article).p_total == 1
    assert Event.objects.filter(action="delete", object_type="attribution").count() == 2
    counts_as_rebuilt()


def test_the_history_page_shows_admin_events(admin_client):
    article = make_article()
    berg = make_attribution(article, source="Finance Minister Anna Berg")
    admin_services.attributions_delete(attribution_ids=[berg.pk], user=make_user())
    admin_services.article_edit(article_id=article.pk, user=make_user(), version=1, changes={"title": "New"})
    response = admin_client.get(reverse("article_history", args=[article.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "delete" in html and "edit" in html


def test_sentences_cannot_be_deleted_in_the_admin(admin_client):
    sentence = Sentence.objects.filter(article=make_article()).first()
    assert admin_client.get(reverse("admin:annotations_sentence_delete", args=[sentence.pk])).status_code == 403
    response = admin_client.post(
        changelist_url(Sentence), {"action": "delete_selected", "_selected_action": [sentence.pk], "post": "yes"}
    )
    assert Sentence.objects.filter(pk=sentence.pk).exists()
    assert response.status_code in (200, 302)


def test_deleting_an_outlet_leaves_an_event(admin_client):
    empty = make_outlet("Nobody Reads")
    busy = make_article().outlet
    response = admin_client.post(changelist_url(Outlet), {"action": "delete_selected", "_selected_action": [empty.pk]})
    assert response.status_code == 200  # the confirmation page
    response = admin_client.post(
        changelist_url(Outlet), {"action": "delete_selected", "_selected_action": [empty.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Outlet.objects.filter(pk=empty.pk).exists()
    event = Event.objects.get(action="delete", object_type="outlet")
    assert event.before["name"] == "Nobody Reads" and event.article_id is None
    # an outlet with articles is protected: the admin refuses before any service runs
    response = admin_client.post(reverse("admin:annotations_outlet_delete", args=[busy.pk]), {"post": "yes"})
    assert Outlet.objects.filter(pk=busy.pk).exists()
    assert Event.objects.filter(action="delete", object_type="outlet").count() == 1


def test_the_event_log_is_read_only_in_the_admin(admin_client):
    event = Event.objects.create(action="test", object_type="article")
    assert admin_client.get(reverse("admin:annotations_event_delete", args=[event.pk])).status_code == 403
    assert admin_client.get(reverse("admin:annotations_event_add")).status_code == 403
