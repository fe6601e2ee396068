"""What every export format shares: the filters, the query, and the records read in chunks.

Articles are read with ``QuerySet.iterator(chunk_size=...)``; Django runs the
prefetches (sentences, attributions, reviewers) once per chunk, so memory stays
flat whatever the number of articles. On PostgreSQL the iterator is a server-side
cursor.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from annotations.models import Article, ArticleState, Attribution, ReviewState, Sentence, SourceType

CHUNK_SIZE = 200

# Review filter: "reviewed" (default) exports reviewed articles only; "all" also exports articles still in
# review or only pre-passed, whose untouched proposals are then marked "review_state": "proposed".
REVIEW_CHOICES = ("reviewed", "all")


@dataclass(frozen=True)
class ExportFilters:
    outlets: Sequence[str] = ()  # slugs, names or ids
    published_from: datetime.date | None = None
    published_to: datetime.date | None = None
    review: str = "reviewed"
    annotators: Sequence[str] = ()  # usernames of the article's reviewer
    source_types: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.review not in REVIEW_CHOICES:
            raise ValueError(f"review must be one of {', '.join(REVIEW_CHOICES)}, not {self.review!r}")
        bad = [t for t in self.source_types if t not in SourceType.values]
        if bad:
            raise ValueError(f"unknown source type(s): {', '.join(bad)}")

    @property
    def includes_unreviewed(self) -> bool:
        return self.review != "reviewed"

    def as_dict(self) -> dict:
        return {
            "outlets": list(self.outlets),
            "published_from": self.published_from.isoformat() if self.published_from else None,
            "published_to": self.published_to.isoformat() if self.published_to else None,
            "review": self.review,
            "annotators": list(self.annotators),
            "source_types": list(self.source_types),
        }


def articles_queryset(filters: ExportFilters) -> QuerySet[Article]:
    """The articles an export holds (no prefetching: use for counting too)."""
    qs = Article.objects.all()
    if filters.review == "reviewed":
        qs = qs.filter(state=ArticleState.REVIEWED)
    if filters.outlets:
        keys = [str(o) for o in filters.outlets]
        by = Q(outlet__slug__in=keys) | Q(outlet__name__in=keys)
        ids = [int(k) for k in keys if k.isdigit()]
        if ids:
            by |= Q(outlet_id__in=ids)
        qs = qs.filter(by)
    if filters.published_from:
        qs = qs.filter(published__gte=filters.published_from)
    if filters.published_to:
        qs = qs.filter(published__lte=filters.published_to)
    if filters.annotators:
        qs = qs.filter(reviewed_by__username__in=list(filters.annotators))
    if filters.source_types:
        qs = qs.filter(
            Exists(
                Attribution.objects.filter(article=OuterRef("pk"), source_type__in=list(filters.source_types)).exclude(
                    review_state=ReviewState.REJECTED
                )
            )
        )
    return qs.order_by("pk")


def _attributions_queryset(filters: ExportFilters) -> QuerySet[Attribution]:
    qs = Attribution.objects.select_related("reviewed_by").order_by("cue_start", "source_start", "id")
    if filters.source_types:
        qs = qs.filter(source_type__in=list(filters.source_types))
    return qs


def export_queryset(filters: ExportFilters) -> QuerySet[Article]:
    return (
        articles_queryset(filters)
        .select_related("outlet", "reviewed_by")
        .prefetch_related(
            Prefetch("sentences", queryset=Sentence.objects.select_related("reviewed_by").order_by("index")),
            Prefetch("attributions", queryset=_attributions_queryset(filters)),
        )
    )


@dataclass
class Record:
    """One article with its sentences and attributions, as an export sees it."""

    article: Article
    sentences: list[Sentence]
    attributions: list[Attribution]  # all of them, rejected included, in reading order
    index_of: dict[int, int] = field(default_factory=dict)  # attribution id -> position in ``attributions``

    @property
    def body(self) -> str:
        return self.article.body

    @property
    def live(self) -> list[Attribution]:
        """The attributions that stand (rejected proposals left out)."""
        return [a for a in self.attributions if a.review_state != ReviewState.REJECTED]

    def sentence_index(self, sentence_id: int | None) -> int | None:
        if sentence_id is None:
            return None
        for s in self.sentences:
            if s.pk == sentence_id:
                return s.index
        return None


def iter_records(filters: ExportFilters, *, chunk_size: int = CHUNK_SIZE) -> Iterator[Record]:
    for article in export_queryset(filters).iterator(chunk_size=chunk_size):
        sentences = list(article.sentences.all())
        attributions = list(article.attributions.all())
        record = Record(article, sentences, attributions, {a.pk: i for i, a in enumerate(attributions)})
        # let the prefetch caches go: the record holds the lists
        article._prefetched_objects_cache = {}
        yield record


def username(user) -> str | None:
    return user.username if user is not None else None


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None
