"""The data model of ../shared/taxonomy.md.

Offsets are character offsets (Python str indexes) into ``Article.body``,
half-open ``[start, end)``. Reads go through the QuerySet methods here; every
write to an attribution or a sentence label goes through ``services.py``,
which leaves an ``Event``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, Length
from django.urls import reverse
from django.utils import timezone

from annotations.choices import (
    DECIDED_STATES,
    ArticleState,
    Origin,
    QuoteKind,
    ReviewState,
    Seniority,
    SentenceLabel,
    SourceType,
    Specificity,
)


def span_constraints(prefix: str, *, required: bool = False) -> list[models.CheckConstraint]:
    """start < end, start >= 0, and both ends set together (or neither, when optional)."""
    start, end = f"{prefix}_start", f"{prefix}_end"
    # The isnull terms matter: with one end NULL, "start < end" is NULL, and a CHECK passes on NULL.
    ordered = (
        Q(**{f"{start}__isnull": False})
        & Q(**{f"{end}__isnull": False})
        & Q(**{f"{start}__gte": 0})
        & Q(**{f"{start}__lt": F(end)})
    )
    condition = ordered if required else ordered | Q(**{f"{start}__isnull": True}) & Q(**{f"{end}__isnull": True})
    return [models.CheckConstraint(condition=condition, name=f"%(app_label)s_%(class)s_{prefix}_span_valid")]


# --- outlets and articles --------------------------------------------------------

# An article's link is shown to editors: only web addresses, never javascript:, data: or file: ones.
WEB_URL_SCHEMES = ("http", "https")


def is_web_url(url: str) -> bool:
    return url.lower().startswith(tuple(f"{scheme}://" for scheme in WEB_URL_SCHEMES))


class Outlet(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    domain = models.CharField(max_length=253, blank=True, help_text="e.g. example.com, used to recognise the outlet")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(models.QuerySet["Article"]):
    def with_counts(self) -> ArticleQuerySet:
        return self.annotate(
            sentence_count=Count("sentences", distinct=True),
            attribution_count=Count(
                "attributions", filter=~Q(attributions__review_state=ReviewState.REJECTED), distinct=True
            ),
            open_count=Count("attributions", filter=Q(attributions__review_state=ReviewState.PROPOSED), distinct=True),
        )

    def reviewed(self) -> ArticleQuerySet:
        return self.filter(state=ArticleState.REVIEWED)

    def reviewable(self) -> ArticleQuerySet:
        return self.filter(state__in=[ArticleState.PREPASSED, ArticleState.IN_REVIEW])

    def unleased(self, now=None) -> ArticleQuerySet:
        now = now or timezone.now()
        return self.filter(Q(assignee__isnull=True) | Q(lease_expires_at__lt=now))

    def claimable_for_processing(self, now=None) -> ArticleQuerySet:
        """Articles no worker holds, or whose worker stopped without finishing."""
        now = now or timezone.now()
        stale = now - timedelta(minutes=settings.PROCESSING_STALE_MINUTES)
        return self.filter(Q(processing_token__isnull=True) | Q(processing_started_at__lt=stale))


class Article(models.Model):
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="articles")
    title = models.CharField(max_length=1000, blank=True)
    byline = models.CharField(max_length=500, blank=True)
    url = models.URLField(max_length=2000, blank=True, validators=[URLValidator(schemes=list(WEB_URL_SCHEMES))])
    published = models.DateField(null=True, blank=True)
    external_id = models.CharField(max_length=200, blank=True, help_text="the id given in the import file")
    source_format = models.CharField(max_length=10, blank=True)
    source_name = models.CharField(max_length=500, blank=True, help_text="file (and line) it was imported from")
    raw = models.TextField(help_text="the input exactly as received")
    body = models.TextField(help_text="the clean text every offset points into")
    body_length = models.PositiveIntegerField(editable=False)
    removed_lines = models.JSONField(default=list, blank=True, help_text="lines removed as web cruft")
    content_hash = models.CharField(max_length=64, help_text="sha256 of the normalised body")
    state = models.CharField(max_length=12, choices=ArticleState.choices, default=ArticleState.IMPORTED)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # pre-pass
    pipeline = models.CharField(max_length=100, blank=True)
    pipeline_version = models.CharField(max_length=50, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_token = models.UUIDField(null=True, blank=True, editable=False)
    processing_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # model versions (issue 14): the model that made its proposals, and how sure it was of them (the mean
    # confidence of its open proposals when they were made; "least sure first" in the review queue)
    model_version = models.CharField(max_length=50, blank=True)
    proposal_confidence = models.FloatField(null=True, blank=True, editable=False)
    # review queue
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_articles"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "content_hash"], name="article_unique_content_per_outlet"),
            models.CheckConstraint(condition=Q(body_length=Length("body")), name="article_body_length_matches"),
            models.CheckConstraint(condition=Q(body_length__gt=0), name="article_body_not_empty"),
            models.CheckConstraint(condition=Q(state__in=ArticleState.values), name="article_state_valid"),
            models.CheckConstraint(
                condition=Q(url="") | Q(url__istartswith="http://") | Q(url__istartswith="https://"),
                name="article_url_http",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "lease_expires_at"], name="article_queue_idx"),
            models.Index(fields=["outlet", "state", "published"], name="article_outlet_state_idx"),
            models.Index(fields=["assignee", "state"], name="article_assignee_idx"),
            models.Index(fields=["published"], name="article_published_idx"),
            models.Index(fields=["state", "proposal_confidence", "id"], name="article_uncertain_queue_idx"),
        ]

    def __str__(self) -> str:
        return self.title or f"Article {self.pk}"

    def save(self, *args, **kwargs) -> None:
        self.body_length = len(self.body)
        # An import's link in another scheme (javascript:, data:, …) is dropped, not stored; forms and
        # the admin refuse it with the field's validator, and the database refuses it (article_url_http).
        self.url = self.url.strip()
        if self.url and not is_web_url(self.url):
            self.url = ""
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("review", args=[self.pk])

    def held_by_other(self, user, now=None) -> bool:
        """Whether another editor holds this article under a lease that has not expired."""
        if self.assignee_id is None or self.assignee_id == getattr(user, "pk", None) or self.lease_expires_at is None:
            return False
        return self.lease_expires_at > (now or timezone.now())

    def text(self, start: int | None, end: int | None) -> str:
        if start is None or end is None:
            return ""
        return self.body[start:end]


# --- sentences --------------------------------------------------------------------


class SentenceQuerySet(models.QuerySet["Sentence"]):
    def claims(self) -> SentenceQuerySet:
        return self.filter(label__in=[SentenceLabel.SOURCED, SentenceLabel.UNSOURCED_CLAIM])


class Sentence(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sentences")
    index = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    label = models.CharField(max_length=20, choices=SentenceLabel.choices, blank=True)
    proposed_label = models.CharField(max_length=20, choices=SentenceLabel.choices, blank=True)
    label_origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.PREPASS)
    pipeline = models.CharField(max_length=100, blank=True)
    pipeline_version = models.CharField(max_length=50, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    review_state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.PROPOSED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = SentenceQuerySet.as_manager()

    class Meta:
        ordering = ["article", "index"]
        constraints = [
            models.UniqueConstraint(fields=["article", "index"], name="sentence_unique_index"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="sentence_start_before_end"),
            models.CheckConstraint(
                condition=Q(label="") | Q(label__in=SentenceLabel.values), name="sentence_label_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | (Q(confidence__gte=0) & Q(confidence__lte=1)),
                name="sentence_confidence_range",
            ),
        ]
        indexes = [
            models.Index(fields=["article", "start"], name="sentence_article_start_idx"),
            models.Index(fields=["label", "review_state"], name="sentence_label_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}#{self.index}"


# --- attributions ---------------------------------------------------------------


class AttributionQuerySet(models.QuerySet["Attribution"]):
    def live(self) -> AttributionQuerySet:
        """Attributions that stand: everything but rejected proposals."""
        return self.exclude(review_state=ReviewState.REJECTED)

    def decided(self) -> AttributionQuerySet:
        return self.filter(review_state__in=DECIDED_STATES)

    def untouched(self) -> AttributionQuerySet:
        return self.filter(review_state=ReviewState.PROPOSED)

    def in_reading_order(self) -> AttributionQuerySet:
        """By where they stand in the text: the cue, or the source when there is no cue (same on every database)."""
        return self.order_by(Coalesce("cue_start", "source_start"), "source_start", "id")

    def for_review(self) -> AttributionQuerySet:
        return self.select_related("reviewed_by").in_reading_order()


# what an editor decides of an attribution (spans, type, quote kind, via, anonymity), bar its speaker reference:
# what corrections, the demo gold, double review's comparison and adjudication read and write
DECIDED_FIELDS = (
    "source_type",
    "source_start",
    "source_end",
    "cue_start",
    "cue_end",
    "content_start",
    "content_end",
    "quote_kind",
    "via",
    "anon_descriptor",
    "anon_seniority",
    "anon_number",
    "anon_justification_start",
    "anon_justification_end",
    "anon_specificity",
)


class Attribution(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attributions")
    sentence = models.ForeignKey(
        Sentence,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attributions",
        help_text="the sentence holding the cue",
    )
    source_type = models.CharField(max_length=20, choices=SourceType.choices)
    source_start = models.PositiveIntegerField(null=True, blank=True)
    source_end = models.PositiveIntegerField(null=True, blank=True)
    cue_start = models.PositiveIntegerField(null=True, blank=True)
    cue_end = models.PositiveIntegerField(null=True, blank=True)
    content_start = models.PositiveIntegerField(null=True, blank=True)
    content_end = models.PositiveIntegerField(null=True, blank=True)
    quote_kind = models.CharField(max_length=10, choices=QuoteKind.choices, blank=True)
    via = models.CharField(max_length=200, blank=True, help_text="the outlet that relayed it")
    # anonymity: only when source_type = anonymous
    anon_descriptor = models.CharField(max_length=200, blank=True)
    anon_seniority = models.CharField(max_length=10, choices=Seniority.choices, blank=True)
    anon_number = models.CharField(max_length=10, blank=True, help_text='"one", "several" or a whole number')
    anon_justification_start = models.PositiveIntegerField(null=True, blank=True)
    anon_justification_end = models.PositiveIntegerField(null=True, blank=True)
    anon_specificity = models.CharField(max_length=10, choices=Specificity.choices, blank=True)
    speaker_ref = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="continuations"
    )
    # provenance
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.PREPASS)
    pipeline = models.CharField(max_length=100, blank=True)
    pipeline_version = models.CharField(max_length=50, blank=True)
    model_version = models.CharField(max_length=50, blank=True, help_text="the trained model that proposed it")
    confidence = models.FloatField(null=True, blank=True)
    proposal = models.JSONField(null=True, blank=True, help_text="the proposal exactly as first made")
    # review
    review_state = models.CharField(max_length=10, choices=ReviewState.choices, default=ReviewState.PROPOSED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AttributionQuerySet.as_manager()

    class Meta:
        ordering = ["article", "cue_start", "id"]
        constraints = [
            *span_constraints("source"),
            *span_constraints("cue"),
            *span_constraints("content"),
            *span_constraints("anon_justification"),
            models.CheckConstraint(
                condition=Q(source_start__isnull=False) | Q(cue_start__isnull=False),
                name="attribution_has_source_or_cue",
            ),
            models.CheckConstraint(condition=Q(source_type__in=SourceType.values), name="attribution_type_valid"),
            models.CheckConstraint(
                condition=Q(review_state__in=ReviewState.values), name="attribution_review_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(source_type=SourceType.ANONYMOUS)
                | Q(
                    anon_descriptor="",
                    anon_seniority="",
                    anon_number="",
                    anon_specificity="",
                    anon_justification_start__isnull=True,
                ),
                name="attribution_anonymity_only_when_anonymous",
            ),
            models.CheckConstraint(
                condition=Q(anon_number="") | Q(anon_number__in=["one", "several"]) | Q(anon_number__regex=r"^[0-9]+$"),
                name="attribution_anon_number_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | (Q(confidence__gte=0) & Q(confidence__lte=1)),
                name="attribution_confidence_range",
            ),
        ]
        indexes = [
            models.Index(fields=["article", "review_state"], name="attribution_article_state_idx"),
            models.Index(fields=["article", "cue_start"], name="attribution_reading_idx"),
            models.Index(fields=["source_type", "review_state"], name="attribution_type_idx"),
            models.Index(fields=["reviewed_by", "reviewed_at"], name="attribution_reviewer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_type_display()} attribution {self.pk}"

    SPANS = ("source", "cue", "content", "anon_justification")

    def span(self, role: str) -> tuple[int, int] | None:
        start, end = getattr(self, f"{role}_start"), getattr(self, f"{role}_end")
        return None if start is None or end is None else (start, end)

    def span_text(self, role: str, body: str | None = None) -> str:
        span = self.span(role)
        if span is None:
            return ""
        return (body if body is not None else self.article.body)[span[0] : span[1]]

    @property
    def is_open(self) -> bool:
        return self.review_state == ReviewState.PROPOSED


# --- in their own modules, imported last so that Django registers their models with the app's ---------------------

from annotations.models_counts import ArticleCounts  # noqa: E402, F401
from annotations.models_events import AppendOnlyError, Event, EventQuerySet  # noqa: E402, F401

# double review (issue 15)
from annotations.models_review_layers import (  # noqa: E402, F401
    AdjudicationChoice,
    AdjudicationItem,
    AgreementCell,
    DoubleReview,
    DoubleReviewRule,
    DoubleReviewStage,
    ReviewLayer,
    SpanAgreement,
)

# --- model versions (issue 14): in their own module, imported here so Django registers them ------------------
from .models_learning import ModelVersion, TrainingStatus  # noqa: E402, F401
