"""Double review (issue 15), the end of it: an editor submits their layer; the last one closes the review and
stores the agreement figures and the adjudication items (``annotations.agreement``), and the article waits for
a standards editor's adjudication (``services.adjudication``). Marking and starting: ``double_review``.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from annotations import agreement
from annotations.models import (
    AdjudicationChoice,
    AdjudicationItem,
    AgreementCell,
    Article,
    ArticleState,
    Attribution,
    DoubleReview,
    DoubleReviewStage,
    ReviewLayer,
    Sentence,
    SpanAgreement,
)
from annotations.models_review_layers import SPAN_COUNTS

from .common import ConflictError, event_record

log = logging.getLogger(__name__)

ATTRIBUTION_VALUES = ("id", "review_state", "origin", "speaker_ref_id", "sentence_id", *agreement.COMPARED_FIELDS)


# --- submitting a layer, closing the review -----------------------------------------------------------------


def double_review_layer_submitted(*, layer_article: Article, user) -> DoubleReview:
    """An editor marked their copy reviewed (``article_mark_reviewed``, in its transaction): the layer is
    submitted; the last one closes the review."""
    layer = ReviewLayer.objects.select_related("editor").get(article_id=layer_article.pk)
    review = DoubleReview.objects.select_for_update().select_related("article").get(pk=layer.review_id)
    if review.stage != DoubleReviewStage.OPEN:
        raise ConflictError("This double review is not open.")
    now = timezone.now()
    ReviewLayer.objects.filter(pk=layer.pk).update(submitted_at=now)
    open_left = review.layers.filter(submitted_at__isnull=True).count()
    event_record(
        actor=user,
        article_id=review.article_id,
        object_type="article",
        object_id=review.article_id,
        action="layer_submitted",
        after={"editor": layer.editor.get_username(), "layers_left": open_left},
    )
    if open_left == 0:
        _close(review)
    return review


def _layer_values(layer: ReviewLayer) -> tuple[list[dict], list[dict]]:
    attributions = list(Attribution.objects.filter(article_id=layer.article_id).values(*ATTRIBUTION_VALUES))
    mapping = layer.attribution_map or {}
    for a in attributions:
        a["main_id"] = mapping.get(str(a["id"]))
    sentences = list(
        Sentence.objects.filter(article_id=layer.article_id)
        .order_by("index")
        .values("index", "start", "label", "proposed_label")
    )
    return attributions, sentences


def _close(review: DoubleReview) -> None:
    """Every layer is in: store the figures and the adjudication items; the article waits for adjudication."""
    layers = list(review.layers.select_related("editor").order_by("position"))
    values = [_layer_values(layer) for layer in layers]
    main_sentences = list(Sentence.objects.filter(article_id=review.article_id).order_by("index"))
    proposals = list(Attribution.objects.filter(article_id=review.article_id).values(*ATTRIBUTION_VALUES))
    by_index = [{x["index"]: x["label"] for x in sentences} for _a, sentences in values]
    labels = [[layer_labels.get(s.index) for layer_labels in by_index] for s in main_sentences]
    figures = agreement.review_figures([a for a, _s in values], labels, proposals)
    editor_of = [layer.editor_id for layer in layers]
    SpanAgreement.objects.bulk_create(
        [
            SpanAgreement(
                review=review,
                editor_a_id=editor_of[i],
                editor_b_id=None if j is None else editor_of[j],
                **{
                    f"{role}_{mode}_{name}": getattr(c, name)
                    for (role, mode), c in counts.items()
                    for name in SPAN_COUNTS
                },
            )
            for (i, j), counts in figures.spans.items()
        ]
    )
    AgreementCell.objects.bulk_create(
        [
            AgreementCell(
                review=review,
                editor_a_id=editor_of[i],
                editor_b_id=editor_of[j],
                field=name,
                value_a=a[:200],
                value_b=b[:200],
                n=int(n),
                weight=w,
            )
            for (i, j, name, a, b), (n, w) in figures.cells.items()
        ]
    )
    for layer, (attributions, sentences) in zip(layers, values, strict=True):
        for name, n in agreement.prepass_shares(attributions, sentences).items():
            setattr(layer, name, n)
    ReviewLayer.objects.bulk_update(
        layers, ["proposals", "kept", "corrected", "rejected", "added", "labels_proposed", "labels_kept"]
    )
    items = _items(review, layers, figures, main_sentences)
    AdjudicationItem.objects.bulk_create(items)
    disagreements = sum(1 for item in items if item.differs)
    now = timezone.now()
    DoubleReview.objects.filter(pk=review.pk).update(
        stage=DoubleReviewStage.ADJUDICATION, closed_at=now, units=len(items), disagreements=disagreements
    )
    review.stage, review.closed_at, review.units, review.disagreements = (
        DoubleReviewStage.ADJUDICATION,
        now,
        len(items),
        disagreements,
    )
    event_record(
        actor=None,
        article_id=review.article_id,
        object_type="article",
        object_id=review.article_id,
        action="double_review_closed",
        after={"compared": len(items), "differences": disagreements},
        note="every editor submitted: agreement figures stored, ready to adjudicate",
    )


def attribution_values(a: agreement.Attr) -> dict:
    """What an adjudication keeps of one editor's attribution: its compared fields, and the copy it came from."""
    return {**{name: a.get(name) for name in agreement.COMPARED_FIELDS}, "from_layer_attribution": a.get("id")}


def _items(
    review: DoubleReview, layers: list[ReviewLayer], figures: agreement.ReviewFigures, sentences: list[Sentence]
) -> list[AdjudicationItem]:
    n = len(layers)
    items = []
    for k, unit in enumerate(figures.units):
        differs = agreement.unit_differs(unit, n)
        first = unit[min(unit)]
        main_id = next((a["main_id"] for _p, a in sorted(unit.items()) if a.get("main_id")), None)
        item = AdjudicationItem(
            review=review,
            kind="attribution",
            unit=k,
            position=agreement.reading_key(first)[0],
            members={str(layer.pk): (unit[p]["id"] if p in unit else None) for p, layer in enumerate(layers)},
            attribution_id=main_id,
            differs=differs,
        )
        if not differs:
            item.choice, item.values = AdjudicationChoice.AGREED, attribution_values(first)
        items.append(item)
    for s, row in zip(sentences, figures.labels, strict=True):
        differs = len(set(row)) > 1
        item = AdjudicationItem(
            review=review,
            kind="sentence",
            unit=s.index,
            position=s.start,
            members={str(layer.pk): row[p] for p, layer in enumerate(layers)},
            sentence=s,
            differs=differs,
        )
        if not differs:
            item.choice, item.values = AdjudicationChoice.AGREED, {"label": row[0] or ""}
        items.append(item)
    return items


def layer_for(article: Article) -> ReviewLayer | None:
    """The layer an article in the ``layer`` state is (with its review and editor), else None."""
    if article.state != ArticleState.LAYER:
        return None
    return ReviewLayer.objects.select_related("review", "editor").filter(article_id=article.pk).first()
