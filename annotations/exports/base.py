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
from types import SimpleNamespace

from django.db.models import Exists, OuterRef, Q, QuerySet

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
    layers: bool = False  # also each editor's own layer of a double-reviewed article (issue 15; jsonl, labelstudio)

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
            "layers": self.layers,
        }


def articles_queryset(filters: ExportFilters) -> QuerySet[Article]:
    """The articles an export holds (no prefetching: use for counting too)."""
    qs = Article.objects.exclude(state=ArticleState.LAYER)  # an editor's layer travels with its article (layers=True)
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


def export_queryset(filters: ExportFilters) -> QuerySet[Article]:
    return (
        articles_queryset(filters)
        .select_related("outlet", "reviewed_by")
        .defer("raw")  # the input as received: not exported, and often the largest column
    )


SENTENCE_COLUMNS = tuple(f.attname for f in Sentence._meta.concrete_fields)
ATTRIBUTION_COLUMNS = tuple(f.attname for f in Attribution._meta.concrete_fields)


class SentenceRow(SimpleNamespace):
    """A sentence as exports read it: the model's columns as attributes, without a model instance."""

    @property
    def pk(self) -> int:
        return self.id


class AttributionRow(SimpleNamespace):
    """An attribution as exports read it: the model's columns as attributes and its span helpers."""

    span = Attribution.span
    span_text = Attribution.span_text

    @property
    def pk(self) -> int:
        return self.id


class UserNames:
    """Usernames by user id, each looked up once (reviewers are few; rows are many)."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def load(self, ids: set[int]) -> None:
        missing = ids - self._names.keys()
        if missing:
            from django.contrib.auth import get_user_model

            self._names.update(get_user_model().objects.filter(pk__in=missing).values_list("pk", "username"))

    def __call__(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self._names:
            self.load({user_id})
        return self._names.get(user_id)


@dataclass
class Record:
    """One article with its sentences and attributions, as an export sees it."""

    article: Article
    sentences: list[SentenceRow]
    attributions: list[AttributionRow]  # all of them, rejected included, in reading order
    index_of: dict[int, int] = field(default_factory=dict)  # attribution id -> position in ``attributions``
    user: UserNames = field(default_factory=UserNames)  # user id -> username
    layers: list | None = None  # each editor's layer (exports.layers.LayerRecord) when the export asks for them

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


def _records(articles: list[Article], filters: ExportFilters, names: UserNames) -> Iterator[Record]:
    """One chunk: its sentences and attributions in one query each (plain rows: no model instances)."""
    ids = [a.pk for a in articles]
    sentences: dict[int, list[SentenceRow]] = {pk: [] for pk in ids}
    for row in Sentence.objects.filter(article_id__in=ids).order_by("article_id", "index").values(*SENTENCE_COLUMNS):
        sentences[row["article_id"]].append(SentenceRow(**row))
    attributions: dict[int, list[AttributionRow]] = {pk: [] for pk in ids}
    qs = Attribution.objects.filter(article_id__in=ids)
    if filters.source_types:
        qs = qs.filter(source_type__in=list(filters.source_types))
    for row in qs.order_by("article_id", "cue_start", "source_start", "id").values(*ATTRIBUTION_COLUMNS):
        attributions[row["article_id"]].append(AttributionRow(**row))
    names.load({x.reviewed_by_id for rows in (*sentences.values(), *attributions.values()) for x in rows} - {None})
    layers = None
    if filters.layers:
        from .layers import load_layers

        layers = load_layers(articles, names)
    for article in articles:
        rows = attributions.pop(article.pk)
        record = Record(article, sentences.pop(article.pk), rows, {a.id: i for i, a in enumerate(rows)}, names)
        if layers is not None:
            record.layers = layers.get(article.pk, [])
        yield record


def iter_records(filters: ExportFilters, *, chunk_size: int = CHUNK_SIZE) -> Iterator[Record]:
    """The records of an export, read ``chunk_size`` articles at a time (a server-side cursor on PostgreSQL)."""
    names = UserNames()
    chunk: list[Article] = []
    for article in export_queryset(filters).iterator(chunk_size=chunk_size):
        chunk.append(article)
        if len(chunk) >= chunk_size:
            yield from _records(chunk, filters, names)
            chunk = []
    if chunk:
        yield from _records(chunk, filters, names)


def username(user) -> str | None:
    return user.username if user is not None else None


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def article_meta(article: Article, *, includes_unreviewed: bool) -> dict:
    """The article's fields that every tool's task carries as metadata (Prodigy, Label Studio, spaCy)."""
    return {
        "article_id": article.pk,
        "outlet": article.outlet.name,
        "title": article.title,
        "url": article.url,
        "published": iso(article.published),
        "state": article.state,
        "reviewed_by": username(article.reviewed_by),
        "includes_unreviewed": includes_unreviewed,
    }
