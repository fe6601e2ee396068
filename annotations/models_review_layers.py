"""Double review (issue 15): two or more editors review one article blind, then a standards editor adjudicates.

Each editor's decisions live in their own **layer**: a copy of the article (an ``Article`` in the ``layer`` state,
never listed, counted or exported as an article) with its sentences and the pre-pass proposals copied from the
article. The editor reviews it on the ordinary review page, so every decision is an ordinary attribution or
sentence row of the copy, with its events, versions and undo; the other editors cannot open it while the review is
open. The article itself (state ``double``) keeps its untouched proposals until the adjudication writes the final
result into them, then it is ``reviewed`` like any other.

When the last layer is submitted the review closes: the layers' attributions are grouped into matched units, the
agreement figures of every editor pair are stored (``SpanAgreement``, ``AgreementCell``: the agreement page sums them
in SQL) and every unit becomes an ``AdjudicationItem`` (those where the editors differ are the side-by-side page).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotations.models import Article, Attribution, ReviewState, Sentence


class DoubleReviewStage(models.TextChoices):
    WAITING = "waiting", "Waiting for the pre-pass"
    OPEN = "open", "Editors reviewing"
    ADJUDICATION = "adjudication", "To adjudicate"
    CLOSED = "closed", "Adjudicated"


# stages whose layers are all submitted: their figures exist and their layers may be seen
CLOSED_STAGES = (DoubleReviewStage.ADJUDICATION, DoubleReviewStage.CLOSED)


class DoubleReview(models.Model):
    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="double_review")
    batch = models.CharField(max_length=100, help_text="a name to group double reviews by (agreement over a batch)")
    stage = models.CharField(max_length=12, choices=DoubleReviewStage.choices, default=DoubleReviewStage.WAITING)
    n_editors = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True, help_text="when the layers were made")
    closed_at = models.DateTimeField(null=True, blank=True, help_text="when the last layer was submitted")
    adjudicated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    adjudicated_at = models.DateTimeField(null=True, blank=True)
    units = models.PositiveIntegerField(default=0, help_text="attributions and sentences compared")
    disagreements = models.PositiveIntegerField(default=0, help_text="of them, those where the editors differ")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=DoubleReviewStage.values), name="double_review_stage_valid"),
            models.CheckConstraint(condition=Q(n_editors__gte=2), name="double_review_two_editors"),
        ]
        indexes = [
            models.Index(fields=["stage", "batch"], name="double_review_stage_idx"),
            models.Index(fields=["batch", "stage"], name="double_review_batch_idx"),
        ]

    def __str__(self) -> str:
        return f"double review of article {self.article_id}"

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES


def _decided_on_copy(model: type[models.Model]) -> Coalesce:
    """How many rows of ``model`` on the layer's copy an editor has decided (no longer proposed); 0 without a copy."""
    decided = (
        model.objects.filter(article_id=OuterRef("article_id"))
        .exclude(review_state=ReviewState.PROPOSED)
        .order_by()
        .values("article_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(decided), 0)


class ReviewLayerQuerySet(models.QuerySet["ReviewLayer"]):
    def with_decisions(self) -> ReviewLayerQuerySet:
        """Each layer with ``decisions``: the attributions and sentence labels its editor has decided so far."""
        return self.annotate(decisions=_decided_on_copy(Attribution) + _decided_on_copy(Sentence))


class ReviewLayer(models.Model):
    """One editor's blind review of a double-reviewed article: ``article`` is their copy of it."""

    review = models.ForeignKey(DoubleReview, on_delete=models.CASCADE, related_name="layers")
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_layers")
    position = models.PositiveSmallIntegerField(help_text="the order editors were named in")
    article = models.OneToOneField(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="layer", help_text="the copy"
    )
    attribution_map = models.JSONField(
        default=dict, blank=True, help_text="copy's attribution id -> the article's proposal it was copied from"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # agreement with the pre-pass, stored when the review closes
    proposals = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0, help_text="proposals confirmed as proposed")
    corrected = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    labels_proposed = models.PositiveIntegerField(default=0)
    labels_kept = models.PositiveIntegerField(default=0, help_text="sentence labels left as proposed")

    objects = ReviewLayerQuerySet.as_manager()

    class Meta:
        ordering = ["review", "position"]
        constraints = [
            models.UniqueConstraint(fields=["review", "editor"], name="review_layer_one_per_editor"),
            models.UniqueConstraint(fields=["review", "position"], name="review_layer_position_unique"),
        ]
        indexes = [models.Index(fields=["editor", "submitted_at"], name="review_layer_editor_idx")]

    def __str__(self) -> str:
        return f"layer {self.position} of {self.review}"


SPAN_ROLES = ("source", "cue", "content", "attribution")
SPAN_MODES = ("exact", "overlap")
SPAN_COUNTS = ("tp_p", "n_p", "tp_r", "n_g")  # prepass.evaluate.Counts
# one column per role, matching rule and count, e.g. attribution_overlap_tp_r: one row per editor pair and article
SPAN_COLUMNS = tuple(f"{role}_{mode}_{count}" for role in SPAN_ROLES for mode in SPAN_MODES for count in SPAN_COUNTS)


class SpanAgreement(models.Model):
    """One editor pair's span counts on one article: for each role (source, cue, content, whole attribution) and
    matching rule (exact, 30% overlap) the four counts of ``prepass.evaluate.Counts``: ``tp_p`` editor_b's spans
    that editor_a has too, ``n_p`` editor_b's spans, ``tp_r`` editor_a's spans that editor_b found, ``n_g``
    editor_a's spans.

    ``editor_a`` is the reference (named first), ``editor_b`` the other; ``editor_b`` empty: the pre-pass, scored
    against ``editor_a``. One wide row per pair and article, so the agreement page sums few rows."""

    review = models.ForeignKey(DoubleReview, on_delete=models.CASCADE, related_name="span_rows")
    editor_a = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    editor_b = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    for _column in SPAN_COLUMNS:
        locals()[_column] = models.PositiveIntegerField(default=0)
    del _column

    def __str__(self) -> str:
        return f"span counts of {self.review}"

    def counts(self, role: str, mode: str) -> tuple[int, int, int, int]:
        return tuple(getattr(self, f"{role}_{mode}_{count}") for count in SPAN_COUNTS)


class AgreementCell(models.Model):
    """How often, on one article, one editor pair gave these two values to one field of a matched item.

    ``weight`` sums 1 / (m − 1) over the items, m being how many editors gave the item a value: what the item adds
    to Krippendorff's coincidence matrix (1 per item with two editors)."""

    review = models.ForeignKey(DoubleReview, on_delete=models.CASCADE, related_name="cells")
    editor_a = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    editor_b = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=20)
    value_a = models.CharField(max_length=200, blank=True)
    value_b = models.CharField(max_length=200, blank=True)
    n = models.PositiveIntegerField()
    weight = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["review", "field"], name="agreement_cell_review_idx")]

    def __str__(self) -> str:
        return f"{self.field}: {self.value_a} / {self.value_b} × {self.n}"


class AdjudicationChoice(models.TextChoices):
    UNDECIDED = "", "Undecided"
    AGREED = "agreed", "The editors agree"
    LAYER = "layer", "One editor's version"
    NONE = "none", "No attribution"
    EDITED = "edited", "Edited by the adjudicator"
    LABEL = "label", "A label"


class AdjudicationItem(models.Model):
    """One matched attribution (a unit) or one sentence of a closed double review, and what the article keeps of it."""

    review = models.ForeignKey(DoubleReview, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=12)  # attribution, sentence
    unit = models.PositiveIntegerField(help_text="the unit's number; a sentence's index")
    position = models.PositiveIntegerField(help_text="where it stands in the text")
    members = models.JSONField(
        default=dict, help_text="layer id -> that layer's attribution id (or null); for a sentence, its label"
    )
    attribution = models.ForeignKey(
        Attribution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="the proposal"
    )
    sentence = models.ForeignKey(Sentence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    differs = models.BooleanField(default=False)
    choice = models.CharField(max_length=8, choices=AdjudicationChoice.choices, blank=True)
    chosen_layer = models.ForeignKey(ReviewLayer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    values = models.JSONField(null=True, blank=True, help_text="what the article keeps; null: nothing")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["review", "position", "kind", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["review", "kind", "unit"], name="adjudication_item_unique"),
            models.CheckConstraint(condition=Q(kind__in=["attribution", "sentence"]), name="adjudication_kind_valid"),
        ]
        indexes = [models.Index(fields=["review", "differs"], name="adjudication_differs_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.unit} of {self.review}"

    @property
    def decided(self) -> bool:
        return bool(self.choice)


class DoubleReviewRule(models.Model):
    """A standing order: a share of newly imported articles goes to double review, when the pre-pass has run."""

    share = models.PositiveSmallIntegerField(help_text="percent of new imports, 1–100")
    editors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    batch = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(share__gte=1) & Q(share__lte=100), name="double_review_rule_share"),
        ]

    def __str__(self) -> str:
        return f"{self.share}% of new imports ({self.batch})"
