"""Each editor's own layer of a double-reviewed article (issue 15), for exports that ask for them (``layers``).

An export carries the adjudicated result (the article's own sentences and attributions) by default. With
``ExportFilters(layers=True)`` each record also holds the layers of its double review once every editor has
submitted theirs: what each editor decided, blind to the others, so researchers can compute agreement themselves.
Three queries per chunk of articles: the layers, their sentences, their attributions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from annotations.models import Attribution, ReviewLayer, Sentence
from annotations.models_review_layers import CLOSED_STAGES

from .base import ATTRIBUTION_COLUMNS, SENTENCE_COLUMNS, AttributionRow, Record, SentenceRow, UserNames


@dataclass
class LayerRecord:
    """One editor's layer as an export sees it: a ``Record`` of their copy (same body, same offsets)."""

    annotator: str
    position: int
    submitted_at: object
    record: Record


def load_layers(articles: Sequence, names: UserNames) -> dict[int, list[LayerRecord]]:
    """The submitted layers of these articles' closed double reviews, by article id (in the order named)."""
    ids = [a.pk for a in articles]
    layers = list(
        ReviewLayer.objects.filter(review__article_id__in=ids, review__stage__in=CLOSED_STAGES, article__isnull=False)
        .order_by("review__article_id", "position")
        .values("article_id", "position", "submitted_at", "editor__username", "review__article_id")
    )
    copies = [row["article_id"] for row in layers]
    sentences: dict[int, list[SentenceRow]] = {pk: [] for pk in copies}
    for row in Sentence.objects.filter(article_id__in=copies).order_by("article_id", "index").values(*SENTENCE_COLUMNS):
        sentences[row["article_id"]].append(SentenceRow(**row))
    attributions: dict[int, list[AttributionRow]] = {pk: [] for pk in copies}
    rows = Attribution.objects.filter(article_id__in=copies).order_by("article_id", "cue_start", "source_start", "id")
    for row in rows.values(*ATTRIBUTION_COLUMNS):
        attributions[row["article_id"]].append(AttributionRow(**row))
    names.load({x.reviewed_by_id for group in (*sentences.values(), *attributions.values()) for x in group} - {None})
    by_article = {a.pk: a for a in articles}
    out: dict[int, list[LayerRecord]] = {}
    for row in layers:
        article = by_article[row["review__article_id"]]
        mine = attributions[row["article_id"]]
        record = Record(article, sentences[row["article_id"]], mine, {a.id: i for i, a in enumerate(mine)}, names)
        out.setdefault(article.pk, []).append(
            LayerRecord(row["editor__username"], row["position"], row["submitted_at"], record)
        )
    return out
