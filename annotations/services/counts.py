"""Keeping ``ArticleCounts`` exact: every write service refreshes the rows of the articles it touched."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db.models import Count, F, Q

from annotations.models import (
    Article,
    ArticleCounts,
    Attribution,
    Origin,
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


def article_confidence_refresh(*, article_ids: Iterable[int]) -> None:
    """Each article's ``proposal_confidence``: the mean confidence of its open pre-pass proposals, in one UPDATE
    (NULL when it has none). Set when proposals are made; "least sure first" orders the review queue by it."""
    from django.db.models import Avg, OuterRef, Subquery

    ids = sorted(set(article_ids))
    mean = (
        Attribution.objects.filter(article=OuterRef("pk"), review_state=ReviewState.PROPOSED, origin=Origin.PREPASS)
        .order_by()
        .values("article")
        .annotate(mean=Avg("confidence"))
        .values("mean")
    )
    for offset in range(0, len(ids), CHUNK):
        Article.objects.filter(pk__in=ids[offset : offset + CHUNK]).update(proposal_confidence=Subquery(mean))


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


def attribution_part(snapshot: Mapping[str, Any] | None) -> dict[str, int]:
    """What one attribution (as snapshotted for the event log) adds to its article's counts."""
    if not snapshot:
        return {}
    state = snapshot.get("review_state")
    prefix = "d" if state in KEPT_STATES else "p" if state == ReviewState.PROPOSED else None
    if prefix is None:
        return {}
    source_type = snapshot.get("source_type")
    anonymous = source_type == SourceType.ANONYMOUS
    return {
        f"{prefix}_total": 1,
        f"{prefix}_anonymous": int(anonymous),
        f"{prefix}_justified": int(anonymous and snapshot.get("anon_justification_start") is not None),
        f"{prefix}_bare": int(anonymous and snapshot.get("anon_specificity") == "bare"),
        f"{prefix}_via": int(bool(snapshot.get("via"))),
        f"{prefix}_named": int(source_type in (SourceType.NAMED_PERSON, SourceType.NAMED_ORGANIZATION)),
    }


def sentence_part(label: str | None) -> dict[str, int]:
    return {
        "claims": int(label in (SentenceLabel.SOURCED, SentenceLabel.UNSOURCED_CLAIM)),
        "unsourced": int(label == SentenceLabel.UNSOURCED_CLAIM),
    }


def article_counts_apply(
    *,
    article_id: int,
    before: Mapping[str, int] | None = None,
    after: Mapping[str, int] | None = None,
    state: str | None = None,
) -> None:
    """Move one article's counts by the difference one write made: a single UPDATE.

    Falls back to a full refresh when the article has no counts row yet.
    """
    before, after = before or {}, after or {}
    updates: dict[str, Any] = {}
    for name in before.keys() | after.keys():
        delta = after.get(name, 0) - before.get(name, 0)
        if delta:
            updates[name] = F(name) + delta
    if state:
        updates["state"] = state
    if updates and not ArticleCounts.objects.filter(article_id=article_id).update(**updates):
        article_counts_refresh(article_ids=[article_id])
