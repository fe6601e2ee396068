"""Keeping ``ArticleCounts`` exact: every write service refreshes the rows of the articles it touched."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Count, Q

from annotations.models import (
    Article,
    ArticleCounts,
    Attribution,
    ReviewState,
    Sentence,
    SentenceLabel,
    SourceType,
)

# Decided and standing: what editors kept. Rejected proposals never count.
KEPT_STATES = (ReviewState.CONFIRMED, ReviewState.CORRECTED, ReviewState.ADDED)
COUNT_FIELDS = [f.name for f in ArticleCounts._meta.fields if f.name != "article"]
CHUNK = 2000


def _attribution_counts(prefix: str, condition: Q) -> dict:
    anonymous = condition & Q(source_type=SourceType.ANONYMOUS)
    return {
        f"{prefix}_total": Count("id", filter=condition),
        f"{prefix}_anonymous": Count("id", filter=anonymous),
        f"{prefix}_justified": Count("id", filter=anonymous & Q(anon_justification_start__isnull=False)),
        f"{prefix}_bare": Count("id", filter=anonymous & Q(anon_specificity="bare")),
        f"{prefix}_via": Count("id", filter=condition & ~Q(via="")),
        f"{prefix}_named": Count(
            "id", filter=condition & Q(source_type__in=[SourceType.NAMED_PERSON, SourceType.NAMED_ORGANIZATION])
        ),
    }


def article_counts_refresh(*, article_ids: Iterable[int]) -> int:
    """Recompute the counts of these articles (three grouped queries and one upsert per chunk)."""
    ids = sorted(set(article_ids))
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        attributions = {
            row.pop("article_id"): row
            for row in Attribution.objects.filter(article_id__in=chunk)
            .values("article_id")
            .order_by()
            .annotate(
                **_attribution_counts("d", Q(review_state__in=KEPT_STATES)),
                **_attribution_counts("p", Q(review_state=ReviewState.PROPOSED)),
            )
        }
        sentences = {
            row.pop("article_id"): row
            for row in Sentence.objects.filter(article_id__in=chunk)
            .values("article_id")
            .order_by()
            .annotate(
                claims=Count("id", filter=Q(label__in=[SentenceLabel.SOURCED, SentenceLabel.UNSOURCED_CLAIM])),
                unsourced=Count("id", filter=Q(label=SentenceLabel.UNSOURCED_CLAIM)),
            )
        }
        rows = [
            ArticleCounts(
                article_id=pk,
                outlet_id=outlet_id,
                state=state,
                published=published,
                **attributions.get(pk, {}),
                **sentences.get(pk, {}),
            )
            for pk, outlet_id, state, published in Article.objects.filter(pk__in=chunk).values_list(
                "pk", "outlet_id", "state", "published"
            )
        ]
        ArticleCounts.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["article"], update_fields=COUNT_FIELDS
        )
    return len(ids)


def article_counts_rebuild(*, on_chunk: Callable[[int], None] | None = None) -> int:
    """Recompute every article's counts (after a bulk load, or to check nothing drifted)."""
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    ArticleCounts.objects.exclude(article_id__in=Article.objects.values("pk")).delete()
    for offset in range(0, len(ids), CHUNK):
        article_counts_refresh(article_ids=ids[offset : offset + CHUNK])
        if on_chunk:
            on_chunk(min(offset + CHUNK, len(ids)))
    return len(ids)
