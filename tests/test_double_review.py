"""Double review (issue 15): marking, each editor's blind layer, closing with the figures, adjudication, exports."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotations import agreement, prepass, services, stats
from annotations.exports import ExportFilters, export_chunks
from annotations.models import (
    AdjudicationItem,
    AgreementCell,
    Article,
    ArticleCounts,
    ArticleState,
    Attribution,
    DoubleReview,
    DoubleReviewStage,
    Event,
    Origin,
    ReviewState,
    Sentence,
    SentenceLabel,
    SourceType,
    SpanAgreement,
)
from tests.factories import (
    make_article,
    make_attribution,
    make_double_review,
    make_user,
    review_layer,
    span_fields,
)

pytestmark = pytest.mark.django_db

# the new pages' queries, whatever the number of articles (session and user included)
AGREEMENT_QUERIES = 14
ADJUDICATION_QUERIES = 9
DOUBLE_REVIEW_QUERIES = 13


@pytest.fixture
def article():
    return proposed()


def proposed(**kw) -> Article:
    """Three sentences; the pre-pass proposed Berg (named) and the official (anonymous)."""
    article = make_article(**kw)
    make_attribution(article, source="Finance Minister Anna Berg", cue="said", content="the budget would pass")
    make_attribution(
        article,
        source="A senior official",
        cue="said it",
        content="might not",
        source_type=SourceType.ANONYMOUS,
        anon_seniority="senior",
        anon_specificity="bare",
    )
    return article


@pytest.fixture
def review(article, anna, ben, chief):
    return make_double_review(article, [anna, ben], by=chief)


def closed(review, anna, ben):
    """Anna keeps Berg and rejects the official; Ben keeps both. Labels: sentence 1 differs (unsourced / sourced)."""
    layers = {layer.editor_id: layer for layer in review.layers.all()}
    review_layer(layers[anna.pk], decide=["confirm", "reject"], labels=["sourced", "unsourced_claim", "no_claim"])
    review_layer(layers[ben.pk], decide=["confirm", "confirm"], labels=["sourced", "sourced", "no_claim"])
    review.refresh_from_db()
    return review


# --- marking and the layers ----------------------------------------------------------------------------------


def test_marking_a_prepassed_article_makes_a_blind_copy_for_each_editor(article, review, anna, ben):
    article.refresh_from_db()
    assert review.stage == DoubleReviewStage.OPEN and review.n_editors == 2
    assert article.state == ArticleState.DOUBLE
    assert ArticleCounts.objects.get(article=article).state == ArticleState.DOUBLE
    layers = list(review.layers.select_related("article").order_by("position"))
    assert [layer.editor for layer in layers] == [anna, ben]
    for layer in layers:
        copy = layer.article
        assert copy.state == ArticleState.LAYER and copy.assignee == layer.editor and copy.body == article.body
        assert copy.sentences.count() == 3
        copies = list(copy.attributions.order_by("pk"))
        assert [a.review_state for a in copies] == ["proposed", "proposed"]
        mains = list(article.attributions.order_by("pk"))
        assert [layer.attribution_map[str(c.pk)] for c in copies] == [m.pk for m in mains]
        assert [(c.source_start, c.source_type) for c in copies] == [(m.source_start, m.source_type) for m in mains]
    # the article is changed by nobody while it is double-reviewed; the copies are no articles of the desk
    assert services.article_lease_next(user=anna) is None
    assert Event.objects.filter(article_id=article.pk, action="double_review_start").exists()


def test_marking_needs_two_editors_and_skips_what_cannot_be_marked(anna, ben, chief):
    reviewed = make_article(state=ArticleState.REVIEWED)
    with pytest.raises(ValidationError):
        services.double_review_mark(article_ids=[reviewed.pk], editors=[anna], by=chief)
    summary = services.double_review_mark(article_ids=[reviewed.pk, 999999], editors=[anna, ben], by=chief)
    assert summary.marked == []
    assert [pk for pk, _why in summary.skipped] == [reviewed.pk, 999999]
    assert "reviewed" in summary.skipped[0][1]


def test_an_imported_article_waits_for_its_prepass_then_starts(anna, ben, chief):
    article = make_article(state=ArticleState.IMPORTED, sentences=False)
    summary = services.double_review_mark(article_ids=[article.pk], editors=[anna, ben], by=chief)
    assert summary.marked == [article.pk] and summary.started == []
    assert DoubleReview.objects.get(article=article).stage == DoubleReviewStage.WAITING
    body = article.body
    proposal = prepass.ArticleProposal(
        sentences=[prepass.SentenceProposal(0, body.index(". ") + 1, "sourced", 0.9)],
        attributions=[prepass.AttributionProposal("named_person", (0, 26), (27, 31), confidence=0.8)],
    )
    services.articles_store_proposals(pairs=[(article, proposal)])
    article.refresh_from_db()
    review = DoubleReview.objects.get(article=article)
    assert review.stage == DoubleReviewStage.OPEN and article.state == ArticleState.DOUBLE
    assert all(layer.article.attributions.count() == 1 for layer in review.layers.all())


def test_the_rule_sends_a_random_share_of_new_imports_to_double_review(anna, ben, chief):
    rule = services.double_review_rule_set(share=50, editors=[anna, ben], batch="spring", by=chief)
    articles = [make_article() for _ in range(12)]  # pre-passed just now (their pre-pass stored)
    ids = [a.pk for a in articles]
    started = services.double_reviews_after_prepass(article_ids=ids, new_ids=ids)
    from annotations.services.double_review import _picked

    expected = [pk for pk in ids if _picked(rule, pk)]
    assert sorted(started) == expected and 0 < len(expected) < 12  # the same draw every time it is asked
    assert set(DoubleReview.objects.values_list("batch", flat=True)) == {"spring"}
    services.double_review_rule_set(share=0, by=chief)  # off
    later = make_article()
    assert services.double_reviews_after_prepass(article_ids=[later.pk], new_ids=[later.pk]) == []


def test_the_scorecard_does_not_count_an_article_under_double_review(article, review):
    for include_unreviewed in (False, True):
        figures = stats.outlet_figures(stats.Scope(include_unreviewed=include_unreviewed), [article.outlet])[0]
        assert figures.articles == 0


# --- blind review ------------------------------------------------------------------------------------------------


def test_each_editor_sees_only_their_own_layer_while_the_review_is_open(client, review, anna, ben, chief):
    anna_layer, ben_layer = review.layers.order_by("position")
    client.force_login(anna)
    page = client.get(reverse("review", args=[anna_layer.article_id]))
    assert page.status_code == 200 and "Your own review" in page.content.decode()
    assert client.get(reverse("review", args=[ben_layer.article_id])).status_code == 403
    assert client.get(reverse("article_history", args=[ben_layer.article_id])).status_code == 403
    copy = ben_layer.article.attributions.first()
    assert client.post(reverse("review_confirm", args=[copy.pk]), {"version": copy.version}).status_code == 403
    client.force_login(chief)  # a standards editor is as blind as anyone while it is open
    assert client.get(reverse("review", args=[ben_layer.article_id])).status_code == 403
    assert client.get(reverse("adjudication", args=[review.article_id])).status_code == 200


def test_submitting_every_layer_closes_the_review_with_its_figures(review, anna, ben):
    review = closed(review, anna, ben)
    assert review.stage == DoubleReviewStage.ADJUDICATION
    # two attribution units (Berg: agreed; the official: Ben only) and three sentences (one differs)
    assert (review.units, review.disagreements) == (5, 2)
    a_ref = SpanAgreement.objects.get(review=review, editor_a=anna, editor_b=ben)
    # Anna (reference) kept Berg; Ben kept Berg and the official: P 1/2, R 1
    assert a_ref.counts("source", "exact") == (1, 2, 1, 1)
    assert a_ref.counts("attribution", "overlap") == (1, 2, 1, 1)
    assert SpanAgreement.objects.filter(review=review).count() == 3  # the pair, and each editor against the pre-pass
    labels = {(c.value_a, c.value_b): c.n for c in AgreementCell.objects.filter(review=review, field="sentence_label")}
    assert labels == {("sourced", "sourced"): 1, ("unsourced_claim", "sourced"): 1, ("no_claim", "no_claim"): 1}
    assert agreement.cohen_kappa(labels).value == pytest.approx(0.5)  # worked out in test_agreement
    anna_layer = review.layers.get(editor=anna)
    assert (anna_layer.proposals, anna_layer.kept, anna_layer.rejected) == (2, 1, 1)
    assert (anna_layer.labels_proposed, anna_layer.labels_kept) == (3, 1)  # proposed "no_claim" everywhere


def test_three_editors_alpha_from_the_stored_cells_is_the_units_alpha(article, anna, ben, chief):
    cleo = make_user("cleo", role="editor")
    review = make_double_review(article, [anna, ben, cleo], by=chief)
    labels = {
        anna.pk: ["sourced", "sourced", "no_claim"],
        ben.pk: ["sourced", "unsourced_claim", "no_claim"],
        cleo.pk: ["sourced", "sourced", "boilerplate"],
    }
    for layer in review.layers.all():
        review_layer(layer, labels=labels[layer.editor_id])
    cells = AgreementCell.objects.filter(review=review, field="sentence_label")
    stored = agreement.krippendorff_alpha((c.value_a, c.value_b, c.weight) for c in cells)
    expected = agreement.alpha_of_units(list(zip(*(labels[u.pk] for u in (anna, ben, cleo)), strict=True)))
    assert stored.value == pytest.approx(expected.value)


# --- adjudication -------------------------------------------------------------------------------------------


def test_adjudication_writes_the_result_into_the_article_and_it_counts(review, article, anna, ben, chief):
    review = closed(review, anna, ben)
    items = {(i.kind, i.unit): i for i in review.items.filter(differs=True)}
    assert set(items) == {("attribution", 1), ("sentence", 1)}
    with pytest.raises(services.ConflictError):
        services.adjudication_finish(article_id=article.pk, user=chief)
    ben_layer = review.layers.get(editor=ben)
    official = items[("attribution", 1)]
    services.adjudication_choose(item_id=official.pk, user=chief, version=1, choice="layer", layer_id=ben_layer.pk)
    label = items[("sentence", 1)]
    services.adjudication_choose(item_id=label.pk, user=chief, version=1, choice="label", label="unsourced_claim")
    with pytest.raises(services.StaleVersionError):  # a second adjudicator who saw version 1
        services.adjudication_choose(item_id=label.pk, user=chief, version=1, choice="label", label="sourced")
    services.adjudication_finish(article_id=article.pk, user=chief)

    article.refresh_from_db()
    assert article.state == ArticleState.REVIEWED and article.reviewed_by == chief
    berg, anon = article.attributions.in_reading_order()
    assert (berg.review_state, anon.review_state) == (ReviewState.CONFIRMED, ReviewState.CONFIRMED)
    assert anon.reviewed_by == chief
    assert list(article.sentences.order_by("index").values_list("label", flat=True)) == [
        "sourced",
        "unsourced_claim",
        "no_claim",
    ]
    figures = stats.outlet_figures(stats.Scope(), [article.outlet])[0]
    assert (figures.articles, figures.attributions, figures.anonymous.numerator) == (1, 2, 1)
    assert figures.unsourced.numerator == 1
    actions = list(Event.objects.filter(article_id=article.pk).values_list("action", flat=True))
    assert actions.count("adjudicate") == 2 and "adjudication_finished" in actions
    assert actions.count("adjudicated") == 2 + 3  # every attribution and sentence of the article
    assert DoubleReview.objects.get(pk=review.pk).stage == DoubleReviewStage.CLOSED


def test_an_edited_version_or_none_and_what_an_editor_added(review, article, anna, ben, chief):
    layers = {layer.editor_id: layer for layer in review.layers.all()}
    added = {"source_type": SourceType.DOCUMENT, **span_fields(article, source="The bridge")}
    review_layer(layers[anna.pk], decide=["confirm", "reject"], labels=["sourced"] * 3, add=[added])
    review_layer(layers[ben.pk], decide=["confirm", "confirm"], labels=["sourced"] * 3)
    review.refresh_from_db()
    items = list(review.items.filter(differs=True, kind="attribution").order_by("position"))
    assert len(items) == 2  # the official (Ben's) and the bridge (Anna's, added)
    official, bridge = items
    with pytest.raises(ValidationError):
        services.adjudication_choose(
            item_id=bridge.pk, user=chief, version=1, choice="edited", values={"source_type": "document"}
        )
    fields = {"source_type": SourceType.DOCUMENT, **span_fields(article, source="The bridge cost")}
    services.adjudication_choose(item_id=bridge.pk, user=chief, version=1, choice="edited", values=fields)
    services.adjudication_choose(item_id=official.pk, user=chief, version=1, choice="none")
    services.adjudication_finish(article_id=article.pk, user=chief)
    rows = {a.review_state: a for a in article.attributions.all()}
    assert set(rows) == {ReviewState.CONFIRMED, ReviewState.REJECTED, ReviewState.ADDED}
    assert rows[ReviewState.ADDED].span_text("source") == "The bridge cost"
    assert rows[ReviewState.ADDED].origin == Origin.EDITOR
    assert rows[ReviewState.REJECTED].source_type == SourceType.ANONYMOUS


# --- pages ------------------------------------------------------------------------------------------------


def test_agreement_page_shows_the_figures_in_a_fixed_number_of_queries(
    client, review, anna, ben, chief, django_assert_max_num_queries
):
    closed(review, anna, ben)
    client.force_login(chief)
    with django_assert_max_num_queries(AGREEMENT_QUERIES):
        page = client.get(reverse("agreement"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="chance-sentence_label"' in html and "0.500" in html  # κ on the labels, as worked out by hand
    assert 'id="agreement-articles">1<' in html
    assert "unsourced_claim / sourced" in html  # the disagreement, listed
    # more articles, same number of queries
    other = proposed(outlet=review.article.outlet)
    closed(make_double_review(other, [anna, ben], by=chief), anna, ben)
    with django_assert_max_num_queries(AGREEMENT_QUERIES):
        assert client.get(reverse("agreement")).status_code == 200


def test_agreement_page_and_downloads_are_for_standards_editors(client, review, anna, ben, chief):
    closed(review, anna, ben)
    client.force_login(anna)
    assert client.get(reverse("agreement")).status_code == 403
    client.force_login(chief)
    data = json.loads(client.get(reverse("agreement_download", args=["json"])).content)
    labels = data["overall"]["chance_corrected"]["sentence_label"]
    assert labels["reported"] == "kappa" and labels["kappa"]["value"] == 0.5 and labels["kappa"]["items"] == 3
    assert data["overall"]["spans"]["source_exact"]["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert [a["editors"] for a in data["articles"]] == [["anna", "ben"]]
    assert {e["editor"]: e["kept_as_proposed"] for e in data["editors"]} == {"anna": 1, "ben": 2}
    text = client.get(reverse("agreement_download", args=["csv"])).content.decode()
    assert "overall,All double-reviewed articles in scope,,sentence_label,kappa,0.5,3" in text
    assert "pair,anna – ben" in text and "\narticle," in text
    assert client.get(reverse("agreement_download", args=["xml"])).status_code == 404


def test_adjudication_page_shows_only_the_differences_with_who_chose_what(
    client, review, anna, ben, chief, django_assert_max_num_queries
):
    review = closed(review, anna, ben)
    client.force_login(chief)
    url = reverse("adjudication", args=[review.article_id])
    with django_assert_max_num_queries(ADJUDICATION_QUERIES):
        page = client.get(url)
    html = page.content.decode()
    items = list(review.items.filter(differs=True).order_by("position", "kind"))
    assert [f'id="item-{i.pk}"' in html for i in items] == [True, True]
    agreed = review.items.get(kind="attribution", unit=0)
    assert f'id="item-{agreed.pk}"' not in html  # Berg: both kept it the same way
    assert "Take ben’s" in html and "Take anna’s" not in html  # only Ben kept the official
    assert 'Unsourced claim <span class="muted">(anna)</span>' in html
    # a choice by htmx answers with the item and the progress
    label = next(i for i in items if i.kind == "sentence")
    response = client.post(
        reverse("adjudication_choose", args=[label.pk]),
        {"version": 1, "choice": "label", "label": "sourced"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and f'id="item-{label.pk}"' in response.content.decode()
    assert 'hx-swap-oob="true"' in response.content.decode()
    stale = client.post(
        reverse("adjudication_choose", args=[label.pk]),
        {"version": 1, "choice": "label", "label": "no_claim"},
        HTTP_HX_REQUEST="true",
    )
    assert stale.status_code == 409 and "Not saved" in stale.content.decode()
    official = next(i for i in items if i.kind == "attribution")
    assert 'name="source_start"' not in html  # the editor opens on request only
    editor = client.get(reverse("adjudication_item", args=[official.pk]), {"edit": "1"}, HTTP_HX_REQUEST="true")
    assert f'id="i{official.pk}_source_start"' in editor.content.decode()
    assert f'id="i{official.pk}_source_start"' in client.get(url, {"edit": official.pk}).content.decode()  # no JS
    bad = client.post(
        reverse("adjudication_edit", args=[official.pk]),
        {"version": 1, "source_type": "named_person", "source_start": 5, "source_end": 2},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 422
    client.force_login(anna)
    assert client.get(url).status_code == 403


def test_double_review_page_marks_by_ids_and_by_filter(client, anna, ben, chief, django_assert_max_num_queries):
    articles = [make_article() for _ in range(4)]
    client.force_login(chief)
    preview = client.get(
        reverse("double_reviews"), {"preview": "1", "outlet": articles[0].outlet.slug}, HTTP_HX_REQUEST="true"
    )
    assert "<strong>1</strong> article matches" in preview.content.decode()
    response = client.post(
        reverse("double_review_mark"), {"editors": [anna.pk, ben.pk], "articles": f"{articles[0].pk}", "batch": "b1"}
    )
    assert response.status_code == 302
    assert DoubleReview.objects.get(article=articles[0]).batch == "b1"
    refused = client.post(reverse("double_review_mark"), {"editors": [anna.pk], "articles": "x12"})
    assert refused.status_code == 422
    assert "Not an article id: x12" in refused.content.decode() and "at least two editors" in refused.content.decode()
    client.post(reverse("double_review_mark"), {"editors": [anna.pk, ben.pk], "share": 50, "batch": "b2"})
    assert DoubleReview.objects.filter(batch="b2").count() == 2  # half of the 3 left, rounded
    with django_assert_max_num_queries(DOUBLE_REVIEW_QUERIES):
        page = client.get(reverse("double_reviews"), {"batch": "b1"}).content.decode()
    assert f'id="double-review-{articles[0].pk}"' in page
    client.force_login(anna)
    assert client.get(reverse("double_reviews")).status_code == 403


def test_layers_are_not_articles_of_the_desk(client, review, anna):
    client.force_login(anna)
    listing = client.get(reverse("articles")).content.decode()
    assert f'id="article-{review.article_id}"' in listing
    for layer in review.layers.all():
        assert f'id="article-{layer.article_id}"' not in listing
    home = client.get(reverse("home")).content.decode()
    mine = review.layers.get(editor=anna)
    assert reverse("review", args=[mine.article_id]) in home  # the editor's queue holds their layer


# --- exports ------------------------------------------------------------------------------------------------


def _export(fmt: str, **filters) -> bytes:
    return b"".join(export_chunks(fmt, ExportFilters(**filters)))


def test_exports_carry_the_adjudicated_result_and_on_request_each_editors_layer(review, article, anna, ben, chief):
    review = closed(review, anna, ben)
    for item in review.items.filter(differs=True):
        if item.kind == "sentence":
            services.adjudication_choose(item_id=item.pk, user=chief, version=1, choice="label", label="sourced")
        else:
            services.adjudication_choose(item_id=item.pk, user=chief, version=1, choice="none")
    services.adjudication_finish(article_id=article.pk, user=chief)

    plain = [json.loads(line) for line in _export("jsonl").splitlines()]
    assert [r["article_id"] for r in plain] == [article.pk] and "layers" not in plain[0]
    assert [a["review_state"] for a in plain[0]["attributions"]] == ["confirmed", "rejected"]
    (record,) = [json.loads(line) for line in _export("jsonl", layers=True).splitlines()]
    schema = json.loads((Path(__file__).resolve().parent.parent / "docs" / "jsonl-schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(record)
    assert [layer["annotator"] for layer in record["layers"]] == ["anna", "ben"]
    anna_layer, ben_layer = record["layers"]
    assert [a["review_state"] for a in anna_layer["attributions"]] == ["confirmed", "rejected"]
    assert [a["review_state"] for a in ben_layer["attributions"]] == ["confirmed", "confirmed"]
    assert [s["label"] for s in anna_layer["sentences"]] == ["sourced", "unsourced_claim", "no_claim"]
    assert anna_layer["attributions"][0]["source"]["text"] == "Finance Minister Anna Berg"

    (task,) = json.loads(_export("labelstudio", layers=True))
    assert [(a["completed_by"], a["ground_truth"]) for a in task["annotations"]] == [
        ("chief", True),
        ("anna", False),
        ("ben", False),
    ]
    ben_spans = [r for r in task["annotations"][2]["result"] if r["type"] == "labels" and r["from_name"] == "label"]
    assert len(ben_spans) == 6  # two attributions, source + cue + content each
    assert len(json.loads(_export("labelstudio"))[0]["annotations"]) == 1


def test_an_article_exported_in_double_review_comes_back_prepassed(review, article, chief):
    line = _export("jsonl", review="all").splitlines()[0]
    record = json.loads(line)
    assert record["state"] == "double"
    Article.objects.filter(pk=article.pk).delete()
    summary = services.articles_import(files=[("back.jsonl", line + b"\n")], user=chief)
    assert not summary.problems
    restored = Article.objects.get(pk=summary.imported[0])
    assert restored.state == ArticleState.PREPASSED
    assert not DoubleReview.objects.filter(article=restored).exists()


def test_layers_copy_every_sentence_and_nothing_is_compared_before_every_editor_submitted(review, article, anna):
    for layer in review.layers.all():
        assert list(Sentence.objects.filter(article_id=layer.article_id).values_list("index", "start", "end")) == list(
            article.sentences.values_list("index", "start", "end")
        )
    review_layer(review.layers.get(editor=anna), labels=[SentenceLabel.SOURCED] * 3)
    review.refresh_from_db()
    assert review.stage == DoubleReviewStage.OPEN
    assert not AdjudicationItem.objects.filter(review=review).exists()
    assert not SpanAgreement.objects.filter(review=review).exists()
    assert Attribution.objects.filter(article=article, review_state=ReviewState.PROPOSED).count() == 2
    assert Event.objects.filter(article_id=article.pk, action="layer_submitted").count() == 1
