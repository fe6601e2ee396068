"""The review page and each of its actions: full page, htmx fragment, HX-Trigger, no-JS redirect, roles, staleness."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations import services
from annotations.models import (
    Article,
    ArticleState,
    Attribution,
    Event,
    Origin,
    ReviewState,
    Sentence,
    SentenceLabel,
    SourceType,
)
from annotations.views.review import highlight
from tests.factories import DEFAULT_BODY, make_article, make_attribution, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
PAGE_QUERIES = 6
ACTION_QUERIES = 18


@pytest.fixture
def editor():
    return make_user(role="editor")


@pytest.fixture
def article():
    return make_article()


@pytest.fixture
def berg(article):
    return make_attribution(article, source="Finance Minister Anna Berg", cue="said", content="the budget would pass")


@pytest.fixture
def official(article):
    return make_attribution(
        article,
        source="A senior official",
        cue="said it",
        content="might not",
        source_type=SourceType.ANONYMOUS,
        confidence=0.3,
    )


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def trigger(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])


def events() -> int:
    return Event.objects.count()


# --- the page -----------------------------------------------------------------------------


def test_anonymous_user_goes_to_login(client, article):
    response = client.get(article.get_absolute_url())
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_htmx_post_is_told_to_log_in(client, berg):
    response = client.post(reverse("review_confirm", args=[berg.pk]), {"version": 1}, **HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith(reverse("login"))


def test_user_without_role_is_refused(client, berg):
    client.force_login(make_user(role=None))
    assert client.get(berg.article.get_absolute_url()).status_code == 403
    response = client.post(reverse("review_confirm", args=[berg.pk]), {"version": 1})
    assert response.status_code == 403
    assert Attribution.objects.get(pk=berg.pk).review_state == ReviewState.PROPOSED


def test_page_shows_text_highlights_cards_and_labels(editor_client, article, berg, official):
    response = editor_client.get(article.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert f'class="m r-src t-named_person src-start" data-a="{berg.pk}">Finance Minister Anna Berg</mark>' in html
    assert "m r-src t-anonymous src-start" in html
    assert f'id="attribution-{berg.pk}"' in html and f'id="attribution-{official.pk}"' in html
    assert html.index(f'id="attribution-{berg.pk}"') < html.index(f'id="attribution-{official.pk}"')
    assert "0.30 · check" in html and "weakest" in html
    assert 'aria-pressed="true"' in html  # every sentence's label is visible
    assert "2</strong> left" in html
    assert "HX-Request" in response.headers["Vary"]
    assert "js/review.js" in html


def test_page_htmx_request_gets_the_fragment(editor_client, article, berg):
    response = editor_client.get(article.get_absolute_url(), **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="review"')


@pytest.mark.parametrize("count", [5, 50])
def test_page_query_count_is_constant(editor_client, django_assert_num_queries, count):
    body = " ".join(f"Official number {i} said the plan works." for i in range(count))
    article = make_article(body=body)
    sentences = list(article.sentences.order_by("index"))
    for sentence in sentences:
        start = sentence.start
        Attribution.objects.create(
            article=article,
            sentence=sentence,
            source_type=SourceType.ANONYMOUS,
            source_start=start,
            source_end=start + 8,
            cue_start=start + 19,
            cue_end=start + 23,
            content_start=start + 24,
            content_end=sentence.end - 1,
            confidence=0.4,
        )
    # session, user, roles, article, sentences, attributions: the same six for 5 and for 50
    with django_assert_num_queries(PAGE_QUERIES):
        response = editor_client.get(article.get_absolute_url())
    assert response.content.decode().count('class="card ') == count


def test_page_of_reviewed_article_is_read_only_for_editors(editor_client, berg):
    Article.objects.filter(pk=berg.article_id).update(state=ArticleState.REVIEWED)
    response = editor_client.get(berg.article.get_absolute_url())
    assert response.status_code == 200
    assert "confirm-form" not in response.content.decode()


def test_edit_query_opens_the_correction_form(editor_client, berg):
    response = editor_client.get(berg.article.get_absolute_url() + f"?edit={berg.pk}")
    assert 'class="edit-form"' in response.content.decode()


def test_card_fragment_with_editor(editor_client, berg):
    url = reverse("review_card", args=[berg.pk])
    response = editor_client.get(url + "?edit=1", **HX)
    assert response.status_code == 200
    assert 'class="edit-form"' in response.content.decode()
    plain = editor_client.get(url + "?edit=1")
    assert plain.status_code == 302
    assert plain.url.endswith(f"?edit={berg.pk}#attribution-{berg.pk}")


# --- confirm and reject ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "state", "queries"),
    # auth (3), the attribution (1), the service's own (it also keeps the article's counts), progress (2);
    # a reject also redraws the sentence (2): a rejected attribution loses its highlight
    [("review_confirm", "confirmed", ACTION_QUERIES), ("review_reject", "rejected", ACTION_QUERIES + 2)],
)
def test_decision_htmx_swaps_card_sentence_and_progress(
    editor_client, editor, berg, official, name, state, queries, django_assert_max_num_queries
):
    with django_assert_max_num_queries(queries):
        response = editor_client.post(reverse(name, args=[berg.pk]), {"version": 1}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<article id="attribution-{berg.pk}" class="card st-{state}')
    # the sentence's marks only change when the attribution is rejected (its highlight goes)
    assert (f'<div id="sentence-{berg.sentence_id}"' in html) == (state == "rejected")
    assert '<section id="progress"' in html and "1</strong> left" in html
    assert trigger(response) == {"attribution-changed": {"id": berg.pk, "state": state, "action": name[7:]}}
    berg.refresh_from_db()
    assert berg.review_state == state and berg.reviewed_by == editor and berg.version == 2
    if state == "rejected":  # a rejected attribution is no longer highlighted
        assert f'data-a="{berg.pk}"' not in html and 'hx-swap-oob="true"' in html


@pytest.mark.parametrize("name", ["review_confirm", "review_reject"])
def test_decision_without_js_redirects_to_the_card(editor_client, berg, name):
    response = editor_client.post(reverse(name, args=[berg.pk]), {"version": 1})
    assert response.status_code == 302
    assert response.url == berg.article.get_absolute_url() + f"#attribution-{berg.pk}"
    assert Attribution.objects.get(pk=berg.pk).review_state != ReviewState.PROPOSED


def test_stale_decision_is_refused_and_nothing_written(editor_client, berg):
    other = make_user("maria")
    services.attribution_reject(attribution_id=berg.pk, user=other, version=1)
    before = events()
    response = editor_client.post(reverse("review_confirm", args=[berg.pk]), {"version": 1}, **HX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Not saved" in html and "maria" in html and "st-rejected" in html
    assert trigger(response)["attribution-conflict"] == {"id": berg.pk, "by": "maria", "state": "rejected"}
    berg.refresh_from_db()
    assert berg.review_state == ReviewState.REJECTED and berg.version == 2 and berg.reviewed_by == other
    assert events() == before


def test_stale_decision_without_js_is_a_409_page(editor_client, berg):
    services.attribution_confirm(attribution_id=berg.pk, user=make_user("maria"), version=1)
    before = events()
    response = editor_client.post(reverse("review_reject", args=[berg.pk]), {"version": 1})
    assert response.status_code == 409
    assert "<html" in response.content.decode() and "maria" in response.content.decode()
    assert Attribution.objects.get(pk=berg.pk).review_state == ReviewState.CONFIRMED
    assert events() == before


def test_decision_without_version_is_refused(editor_client, berg):
    response = editor_client.post(reverse("review_confirm", args=[berg.pk]), {}, **HX)
    assert response.status_code == 400
    assert Attribution.objects.get(pk=berg.pk).review_state == ReviewState.PROPOSED


def test_reviewed_article_only_standards_may_act(client, berg):
    Article.objects.filter(pk=berg.article_id).update(state=ArticleState.REVIEWED)
    client.force_login(make_user(role="editor"))
    assert client.post(reverse("review_confirm", args=[berg.pk]), {"version": 1}).status_code == 403
    client.force_login(make_user(role="standards"))
    assert client.post(reverse("review_confirm", args=[berg.pk]), {"version": 1}).status_code == 302


def test_imported_article_cannot_be_acted_on(editor_client):
    article = make_article(state=ArticleState.IMPORTED)
    response = editor_client.post(reverse("review_undo", args=[article.pk]))
    assert response.status_code == 403


# --- correct ---------------------------------------------------------------------------------


def correction(a: Attribution, **changes) -> dict:
    data = {
        "version": a.version,
        "source_type": a.source_type,
        "quote_kind": a.quote_kind,
        "via": a.via,
        "anon_descriptor": "",
        "anon_seniority": "",
        "anon_number": "",
        "anon_specificity": "",
        "anon_justification_start": "",
        "anon_justification_end": "",
        "speaker_ref": "",
    }
    for role in ("source", "cue", "content"):
        for edge in ("start", "end"):
            value = getattr(a, f"{role}_{edge}")
            data[f"{role}_{edge}"] = "" if value is None else value
    data.update(changes)
    return data


def test_correct_every_field_htmx(editor_client, article, berg, official):
    why = "who spoke on condition of anonymity because talks were private"
    start = DEFAULT_BODY.index(why)
    data = correction(
        official,
        source_type="anonymous",
        anon_descriptor="government",
        anon_seniority="senior",
        anon_number="one",
        anon_specificity="role",
        anon_justification_start=start,
        anon_justification_end=start + len(why),
        quote_kind="indirect",
        via="Reuters",
        speaker_ref=berg.pk,
    )
    response = editor_client.post(reverse("review_correct", args=[official.pk]), data, **HX)
    assert response.status_code == 200, response.content.decode()[:2000]
    assert trigger(response)["attribution-changed"]["state"] == "corrected"
    html = response.content.decode()
    assert "r-why" in html and "via Reuters" in html
    official.refresh_from_db()
    assert (official.anon_descriptor, official.anon_seniority, official.anon_number) == ("government", "senior", "one")
    assert official.anon_specificity == "role" and official.speaker_ref_id == berg.pk
    assert official.span_text("anon_justification") == why
    assert official.review_state == ReviewState.CORRECTED


def test_correct_without_js_redirects(editor_client, berg):
    response = editor_client.post(reverse("review_correct", args=[berg.pk]), correction(berg, source_type="media"))
    assert response.status_code == 302
    assert response.url.endswith(f"#attribution-{berg.pk}")
    assert Attribution.objects.get(pk=berg.pk).source_type == SourceType.MEDIA


def test_invalid_correction_is_422_with_the_form_and_nothing_written(editor_client, berg):
    before = events()
    response = editor_client.post(
        reverse("review_correct", args=[berg.pk]), correction(berg, source_start=999, source_end=1200), **HX
    )
    assert response.status_code == 422
    assert (
        'class="edit-form"' in response.content.decode() and "not inside the article body" in response.content.decode()
    )
    assert Attribution.objects.get(pk=berg.pk).source_start == 0
    assert events() == before


def test_stale_correction_is_refused(editor_client, berg):
    services.attribution_confirm(attribution_id=berg.pk, user=make_user("maria"), version=1)
    before = events()
    response = editor_client.post(
        reverse("review_correct", args=[berg.pk]), correction(berg, source_type="media", version=1), **HX
    )
    assert response.status_code == 409
    assert Attribution.objects.get(pk=berg.pk).source_type == SourceType.NAMED_PERSON
    assert events() == before


def test_nudge_moves_a_span_edge_by_one_token(editor_client, berg):
    # "Finance Minister Anna Berg" -> shrink the start by one word: "Minister Anna Berg"
    response = editor_client.post(
        reverse("review_correct", args=[berg.pk]), correction(berg, nudge="source_start:+1"), **HX
    )
    assert response.status_code == 200
    assert 'class="edit-form"' in response.content.decode()  # the editor stays open for the next nudge
    berg.refresh_from_db()
    assert berg.span_text("source") == "Minister Anna Berg"
    response = editor_client.post(reverse("review_correct", args=[berg.pk]), correction(berg, nudge="cue_end:+1"), **HX)
    berg.refresh_from_db()
    assert berg.span_text("cue") == "said the"


# --- add --------------------------------------------------------------------------------------


def test_add_attribution_htmx_inserts_card(editor_client, editor, article, berg):
    start = DEFAULT_BODY.index("A senior official")
    data = {"start": start, "end": start + len("A senior official"), "role": "source", "source_type": "anonymous"}
    response = editor_client.post(reverse("review_add", args=[article.pk]), data, **HX)
    assert response.status_code == 200, response.content.decode()[:1500]
    added = Attribution.objects.get(origin=Origin.EDITOR)
    assert added.review_state == ReviewState.ADDED and added.reviewed_by == editor
    assert added.span_text("source") == "A senior official"
    assert trigger(response) == {"attribution-added": {"id": added.pk, "state": "added"}}
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="add-panel"')
    ids = list(article.attributions.in_reading_order().values_list("pk", flat=True))
    following = ids[ids.index(added.pk) + 1] if ids[-1] != added.pk else None
    swap = f"beforebegin:#attribution-{following}" if following else "beforeend:#cards"
    assert f'<div hx-swap-oob="{swap}">' in html
    assert f'id="attribution-{added.pk}"' in html
    assert f'id="sentence-{added.sentence_id}"' in html


def test_add_before_a_later_card(editor_client, article, official):
    start = DEFAULT_BODY.index("said")  # a cue, so reading order is the same on every database
    data = {"start": start, "end": start + 4, "role": "cue", "source_type": "named_person"}
    response = editor_client.post(reverse("review_add", args=[article.pk]), data, **HX)
    assert f'hx-swap-oob="beforebegin:#attribution-{official.pk}"' in response.content.decode()


def test_add_span_to_existing_attribution(editor_client, article, official):
    start = DEFAULT_BODY.index("who spoke")
    data = {
        "start": start,
        "end": start + len("who spoke on condition of anonymity"),
        "role": "anon_justification",
        "source_type": "anonymous",
        "target": official.pk,
        "version": official.version,
    }
    response = editor_client.post(reverse("review_add", args=[article.pk]), data, **HX)
    assert response.status_code == 200
    assert "attribution-changed" in trigger(response)
    official.refresh_from_db()
    assert official.span_text("anon_justification") == "who spoke on condition of anonymity"


def test_add_without_js_redirects(editor_client, article):
    data = {"start": 0, "end": 7, "role": "source", "source_type": "named_person"}
    response = editor_client.post(reverse("review_add", args=[article.pk]), data)
    added = Attribution.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"#attribution-{added.pk}")


def test_invalid_add_is_422_and_nothing_written(editor_client, article):
    before = events()
    data = {"start": 5, "end": 9, "role": "content", "source_type": "named_person"}  # no source or cue
    response = editor_client.post(reverse("review_add", args=[article.pk]), data, **HX)
    assert response.status_code == 422
    assert "needs a source span or a cue span" in response.content.decode()
    data = {"start": 9, "end": 5, "role": "source", "source_type": "named_person"}
    assert editor_client.post(reverse("review_add", args=[article.pk]), data, **HX).status_code == 422
    assert not Attribution.objects.exists() and events() == before


# --- sentence labels ------------------------------------------------------------------------


def test_label_htmx_swaps_the_sentence(editor_client, article):
    sentence = article.sentences.get(index=2)
    response = editor_client.post(
        reverse("review_label", args=[sentence.pk]), {"label": "unsourced_claim", "version": 1}, **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div id="sentence-{sentence.pk}" class="sent-row lab-unsourced_claim"')
    assert '<section id="progress"' in html
    assert trigger(response) == {"sentence-labelled": {"id": sentence.pk, "label": "unsourced_claim"}}
    assert Sentence.objects.get(pk=sentence.pk).label == SentenceLabel.UNSOURCED_CLAIM


def test_label_without_js_redirects(editor_client, article):
    sentence = article.sentences.get(index=0)
    response = editor_client.post(reverse("review_label", args=[sentence.pk]), {"label": "sourced", "version": 1})
    assert response.status_code == 302 and response.url.endswith(f"#sentence-{sentence.pk}")


def test_stale_label_is_refused(editor_client, article):
    sentence = article.sentences.get(index=0)
    services.sentence_label_set(sentence_id=sentence.pk, user=make_user("maria"), version=1, label="sourced")
    before = events()
    response = editor_client.post(
        reverse("review_label", args=[sentence.pk]), {"label": "boilerplate", "version": 1}, **HX
    )
    assert response.status_code == 409
    assert "maria" in response.content.decode()
    assert Sentence.objects.get(pk=sentence.pk).label == SentenceLabel.SOURCED
    assert events() == before


# --- undo and mark reviewed -----------------------------------------------------------------


def test_undo_last_decision(editor_client, editor, berg):
    services.attribution_confirm(attribution_id=berg.pk, user=editor, version=1)
    response = editor_client.post(reverse("review_undo", args=[berg.article_id]), **HX)
    assert response.status_code == 200
    assert trigger(response) == {"undone": {"object_type": "attribution", "id": berg.pk, "state": "proposed"}}
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="progress"') and f'id="attribution-{berg.pk}"' in html
    assert Attribution.objects.get(pk=berg.pk).review_state == ReviewState.PROPOSED


def test_undo_an_add_removes_the_card(editor_client, editor, article):
    added = services.attribution_add(
        article_id=article.pk, user=editor, fields={"source_type": "named_person", "source_start": 0, "source_end": 7}
    )
    response = editor_client.post(reverse("review_undo", args=[article.pk]), **HX)
    assert f'<div id="attribution-{added.pk}" hx-swap-oob="delete">' in response.content.decode()
    assert not Attribution.objects.filter(pk=added.pk).exists()


def test_undo_nothing_is_409(editor_client, article):
    response = editor_client.post(reverse("review_undo", args=[article.pk]), **HX)
    assert response.status_code == 409 and "Nothing of yours to undo" in response.content.decode()
    plain = editor_client.post(reverse("review_undo", args=[article.pk]))
    assert plain.status_code == 302 and plain.url.endswith("#progress")


def test_mark_reviewed_refused_while_proposals_are_open(editor_client, berg):
    response = editor_client.post(reverse("review_mark_reviewed", args=[berg.article_id]), {"version": 1}, **HX)
    assert response.status_code == 409
    assert "1 proposals undecided" in response.content.decode()
    assert Article.objects.get(pk=berg.article_id).state == ArticleState.PREPASSED


def test_mark_reviewed_once_every_proposal_is_decided(editor_client, editor, berg, django_assert_max_num_queries):
    services.attribution_confirm(attribution_id=berg.pk, user=editor, version=1)
    with django_assert_max_num_queries(18):  # the write, then the review region as the page reads it
        response = editor_client.post(reverse("review_mark_reviewed", args=[berg.article_id]), {"version": 1}, **HX)
    assert response.status_code == 200
    assert trigger(response) == {"article-reviewed": {"id": berg.article_id, "state": "reviewed"}}
    html = response.content.decode()
    assert "Reviewed" in html and "Article marked reviewed." in html
    # the whole review region comes back, without the actions an editor no longer has here
    assert response["HX-Retarget"] == "#review" and response["HX-Reswap"] == "outerHTML"
    assert 'id="review"' in html and f'id="attribution-{berg.pk}"' in html
    assert reverse("review_confirm", args=[berg.pk]) not in html
    assert 'id="add-form"' not in html and "<html" not in html
    assert Article.objects.get(pk=berg.article_id).state == ArticleState.REVIEWED


def test_mark_reviewed_leaves_standards_editors_their_actions(berg, client):
    standards = make_user(role="standards")
    services.attribution_confirm(attribution_id=berg.pk, user=standards, version=1)
    client.force_login(standards)
    response = client.post(reverse("review_mark_reviewed", args=[berg.article_id]), {"version": 1}, **HX)
    assert response.status_code == 200
    assert reverse("review_confirm", args=[berg.pk]) in response.content.decode()


def test_mark_reviewed_without_js_redirects(editor_client, editor, berg):
    services.attribution_reject(attribution_id=berg.pk, user=editor, version=1)
    response = editor_client.post(reverse("review_mark_reviewed", args=[berg.article_id]), {"version": 1})
    assert response.status_code == 302 and response.url.endswith("#progress")
    assert Article.objects.get(pk=berg.article_id).state == ArticleState.REVIEWED


# --- highlighting ---------------------------------------------------------------------------


def test_highlight_cuts_overlapping_spans_into_segments():
    body = "Al <b> said: go now. Next."
    sentences = [Sentence(pk=1, start=0, end=20), Sentence(pk=2, start=21, end=26)]
    a = Attribution(
        pk=7,
        source_type="anonymous",
        source_start=0,
        source_end=6,
        cue_start=7,
        cue_end=11,
        content_start=3,
        content_end=19,
    )
    b = Attribution(pk=8, source_type="media", source_start=13, source_end=26, review_state="proposed")
    rejected = Attribution(pk=9, source_type="media", source_start=0, source_end=2, review_state="rejected")
    highlight(body, sentences, [a, b, rejected])
    html = sentences[0].html
    assert html.startswith('<mark class="m r-src t-anonymous src-start" data-a="7">Al </mark>')
    assert '<mark class="m r-src r-con t-anonymous" data-a="7">&lt;b&gt;</mark>' in html
    assert '<mark class="m r-cue r-con t-anonymous" data-a="7">said</mark>' in html
    assert '<mark class="m r-src r-con t-media src-start" data-a="7 8">go now</mark>' in html
    assert sentences[1].html == '<mark class="m r-src t-media" data-a="8">Next.</mark>'
    assert 'data-a="9"' not in html


# --- every action: login first, then the role --------------------------------------------------


def _action_urls(article: Article, attribution: Attribution) -> list[str]:
    sentence = article.sentences.first()
    return [
        reverse("review_confirm", args=[attribution.pk]),
        reverse("review_reject", args=[attribution.pk]),
        reverse("review_correct", args=[attribution.pk]),
        reverse("review_add", args=[article.pk]),
        reverse("review_label", args=[sentence.pk]),
        reverse("review_undo", args=[article.pk]),
        reverse("review_mark_reviewed", args=[article.pk]),
    ]


def test_every_action_sends_anonymous_users_to_login(client, berg):
    for url in _action_urls(berg.article, berg):
        response = client.post(url, {"version": 1})
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url
    assert reverse("login") in client.get(reverse("review_card", args=[berg.pk])).url


def test_every_action_refuses_a_user_without_role(client, berg):
    client.force_login(make_user(role=None))
    before = events()
    for url in _action_urls(berg.article, berg):
        assert client.post(url, {"version": 1, "label": "sourced"}).status_code == 403, url
    assert client.get(reverse("review_card", args=[berg.pk])).status_code == 403
    assert events() == before


def test_actions_only_take_posts(editor_client, berg):
    assert editor_client.get(reverse("review_confirm", args=[berg.pk])).status_code == 405
    assert editor_client.post(berg.article.get_absolute_url()).status_code == 405


# --- leases: "Next article" hands an article to one editor --------------------------------


def lease(article: Article, user, minutes: float) -> None:
    Article.objects.filter(pk=article.pk).update(
        assignee=user, lease_expires_at=timezone.now() + timedelta(minutes=minutes)
    )


def test_an_article_another_editor_holds_is_read_only_for_editors(editor_client, berg):
    anna = make_user("anna")
    lease(berg.article, anna, 20)
    page = editor_client.get(berg.article.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200 and "anna is reviewing this article" in html
    assert reverse("review_confirm", args=[berg.pk]) not in html and 'id="add-form"' not in html
    before = events()
    response = editor_client.post(reverse("review_confirm", args=[berg.pk]), {"version": 1}, **HX)
    assert response.status_code == 403 and "anna is reviewing this article until" in response.content.decode()
    assert Attribution.objects.get(pk=berg.pk).review_state == ReviewState.PROPOSED and events() == before
    sentence = Sentence.objects.filter(article=berg.article).first()
    response = editor_client.post(reverse("review_label", args=[sentence.pk]), {"label": "no_claim", "version": 1})
    assert response.status_code == 403


def test_standards_editors_and_expired_leases_are_not_held_back(client, editor_client, berg, official):
    anna = make_user("anna")
    lease(berg.article, anna, 20)
    standards = make_user(role="standards")
    client.force_login(standards)
    response = client.post(reverse("review_confirm", args=[berg.pk]), {"version": 1}, **HX)
    assert response.status_code == 200
    lease(berg.article, anna, -1)  # expired: anyone may go on
    response = editor_client.post(reverse("review_confirm", args=[official.pk]), {"version": 1}, **HX)
    assert response.status_code == 200


def test_acting_keeps_the_holders_lease_when_it_runs_low(editor_client, editor, berg, official):
    lease(berg.article, editor, 25)  # plenty left: not touched
    held_until = Article.objects.get(pk=berg.article_id).lease_expires_at
    assert editor_client.post(reverse("review_confirm", args=[berg.pk]), {"version": 1}, **HX).status_code == 200
    assert Article.objects.get(pk=berg.article_id).lease_expires_at == held_until
    lease(berg.article, editor, 3)  # running low: renewed to a full lease
    assert editor_client.post(reverse("review_confirm", args=[official.pk]), {"version": 1}, **HX).status_code == 200
    renewed = Article.objects.get(pk=berg.article_id).lease_expires_at
    assert renewed > timezone.now() + timedelta(minutes=25)


def test_page_shows_relayed_sources_with_via_and_anonymity_from_the_prepass(editor_client):
    body = (
        "The ferry contract has been cancelled, according to a report in the Harbour Ledger, which cited two "
        "unnamed port officials. “A council source said the deal was dead,” the Ledger reported. "
        "A utility engineer, who asked not to be named because he was not authorized to speak publicly, "
        "said the pipes were corroded."
    )
    services.outlet_get_or_create(name="The Harbour Ledger")  # known to the desk, so the pre-pass knows it
    article = make_article(
        outlet=services.outlet_get_or_create(name="Meridian Daily"),
        body=body,
        state=ArticleState.IMPORTED,
        sentences=False,
    )
    services.articles_process(article_ids=[article.pk])
    rows = {body[a.source_start : a.source_end]: a for a in Attribution.objects.filter(article=article)}
    assert "A utility engineer" in rows, list(rows)
    officials, source = rows["two unnamed port officials"], rows["A council source"]
    engineer = rows["A utility engineer"]
    assert officials.source_type == source.source_type == engineer.source_type == SourceType.ANONYMOUS
    assert officials.via == source.via == "The Harbour Ledger"
    assert officials.anon_number == "2"
    assert body[engineer.anon_justification_start : engineer.anon_justification_end].startswith("who asked not")
    html = editor_client.get(reverse("review", args=[article.pk])).content.decode()
    assert html.count("via The Harbour Ledger") >= 2
    assert "port · seniority" in html  # the anonymity line: descriptor, seniority, number, specificity, why
    assert "why: “who asked not to be named" in html
