"""Double review (issue 15): marking articles, making each editor's layer, submitting it, closing the review.

- ``double_review_mark``: a standards editor names two or more editors for some articles (pre-passed or still
  waiting for the pre-pass). A pre-passed article starts at once; an imported one when its pre-pass is stored
  (``double_reviews_after_prepass``, called by ``services.proposals``), which also applies the standing rule
  (``double_review_rule_set``) to a random share of the new imports.
- Starting makes each editor's **layer**: a copy of the article in the ``layer`` state, held by that editor, with
  its sentences and the pre-pass proposals copied; the article itself goes to ``double`` (the scorecard counts
  neither, "Next article" hands out neither). Each editor reviews their copy on the ordinary review page.
- Marking the copy reviewed submits the layer (``services.review.article_mark_reviewed`` calls
  ``double_review_layer_submitted``, in ``double_review_close``); the last one closes the review: the agreement
  figures and the adjudication items are stored (``annotations.agreement``) and the article waits for a
  standards editor's adjudication (``services.adjudication``).

Every step leaves an event in the article's History (never the editors' decisions while the review is open).
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from annotations.models import (
    Article,
    ArticleState,
    Attribution,
    DoubleReview,
    DoubleReviewRule,
    DoubleReviewStage,
    ReviewLayer,
    ReviewState,
    Sentence,
)
from annotations.roles import is_editor

from .common import event_record
from .counts import article_counts_apply, article_counts_refresh

log = logging.getLogger(__name__)

MARKABLE_STATES = (ArticleState.IMPORTED, ArticleState.PREPASSED)
# columns a layer does not copy from the article: its own id, state, holder, review and processing bookkeeping
_ARTICLE_SKIP = {
    "id",
    "state",
    "raw",
    "content_hash",
    "assignee",
    "lease_expires_at",
    "reviewed_by",
    "reviewed_at",
    "version",
    "created_at",
    "updated_at",
    "processing_token",
    "processing_started_at",
    "imported_by",
    "body_length",
}
_ROW_SKIP = {"id", "article", "sentence", "speaker_ref", "created_at", "updated_at"}


@dataclass
class MarkSummary:
    marked: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (article id, why)


def _editors(editors: Iterable) -> list:
    chosen, seen = [], set()
    for user in editors:
        if user.pk not in seen:
            seen.add(user.pk)
            chosen.append(user)
    if len(chosen) < 2:
        raise ValidationError({"editors": "Name at least two editors."})
    for user in chosen:
        if problem := not_an_editor(user):
            raise ValidationError({"editors": problem})
    return chosen


def not_an_editor(user) -> str:
    """Why ``user`` cannot review a layer ("" when they can): only active editors can."""
    return "" if user.is_active and is_editor(user) else f"{user.get_username()} is not an active editor."


def default_batch() -> str:
    return timezone.localdate().isoformat()


def double_review_mark(*, article_ids: Sequence[int], editors: Iterable, batch: str = "", by) -> MarkSummary:
    """Mark articles for double review by ``editors`` (in that order); each article in its own transaction.

    Articles that are not pre-passed or imported, or already double-reviewed, are skipped with the reason."""
    chosen = _editors(editors)
    batch = " ".join(batch.split())[:100] or default_batch()
    summary = MarkSummary()
    for article_id in dict.fromkeys(article_ids):
        with transaction.atomic():
            article = Article.objects.select_for_update().defer("raw", "body").filter(pk=article_id).first()
            reason = _unmarkable(article)
            if reason:
                summary.skipped.append((article_id, reason))
                continue
            review = DoubleReview.objects.create(article=article, batch=batch, n_editors=len(chosen), created_by=by)
            ReviewLayer.objects.bulk_create(
                [ReviewLayer(review=review, editor=user, position=i) for i, user in enumerate(chosen)]
            )
            event_record(
                actor=by,
                article_id=article.pk,
                object_type="article",
                object_id=article.pk,
                action="double_review",
                before={"state": article.state},
                after={"batch": batch, "editors": [u.get_username() for u in chosen]},
            )
            summary.marked.append(article.pk)
            if article.state == ArticleState.PREPASSED:
                _start(review, article)
                summary.started.append(article.pk)
    return summary


def _unmarkable(article: Article | None) -> str:
    if article is None:
        return "no such article"
    if article.state not in MARKABLE_STATES:
        return f"it is {article.get_state_display().lower()}: only pre-passed or imported articles can be marked"
    if DoubleReview.objects.filter(article=article).exists():
        return "it is already marked for double review"
    return ""


def _layer_hash(article: Article, review: DoubleReview, position: int) -> str:
    return hashlib.sha256(f"{article.content_hash}:layer:{review.pk}:{position}".encode()).hexdigest()


def layer_sources(article: Article) -> tuple[list[Sentence], list[Attribution]]:
    """What every layer copies: the article's sentences and its untouched pre-pass proposals."""
    sentences = list(Sentence.objects.filter(article=article).order_by("index"))
    proposals = list(Attribution.objects.filter(article=article, review_state=ReviewState.PROPOSED).order_by("pk"))
    return sentences, proposals


def layer_copy(
    layer: ReviewLayer, article: Article, sentences: list[Sentence], proposals: list[Attribution]
) -> Article:
    """Make ``layer``'s copy of ``article`` (held by its editor) with the sentences and proposals; sets
    ``layer.article`` and ``layer.attribution_map`` (the caller saves the layer)."""
    article_fields = [f for f in Article._meta.concrete_fields if f.name not in _ARTICLE_SKIP]
    sentence_fields = [f for f in Sentence._meta.concrete_fields if f.name not in _ROW_SKIP]
    attribution_fields = [f for f in Attribution._meta.concrete_fields if f.name not in _ROW_SKIP]
    copy = Article(
        **{f.attname: getattr(article, f.attname) for f in article_fields},
        raw="",
        content_hash=_layer_hash(article, layer.review, layer.position),
        state=ArticleState.LAYER,
        assignee=layer.editor,
    )
    copy.save()
    new_sentences = Sentence.objects.bulk_create(
        [Sentence(article=copy, **{f.attname: getattr(s, f.attname) for f in sentence_fields}) for s in sentences]
    )
    sentence_of = {old.pk: new.pk for old, new in zip(sentences, new_sentences, strict=True)}
    rows = Attribution.objects.bulk_create(
        [
            Attribution(
                article=copy,
                sentence_id=sentence_of.get(a.sentence_id),
                **{f.attname: getattr(a, f.attname) for f in attribution_fields},
            )
            for a in proposals
        ]
    )
    copy_of = {old.pk: new.pk for old, new in zip(proposals, rows, strict=True)}
    linked = []
    for old, new in zip(proposals, rows, strict=True):
        if old.speaker_ref_id in copy_of:
            new.speaker_ref_id = copy_of[old.speaker_ref_id]
            linked.append(new)
    if linked:
        Attribution.objects.bulk_update(linked, ["speaker_ref"])
    layer.article = copy
    layer.attribution_map = {str(new): old for old, new in copy_of.items()}
    return copy


def _start(review: DoubleReview, article: Article) -> None:
    """Make every editor's layer (inside the caller's transaction, the article locked) and open the review."""
    article = Article.objects.get(pk=article.pk)
    now = timezone.now()
    sentences, proposals = layer_sources(article)
    layers = list(review.layers.select_related("editor", "review").order_by("position"))
    copies = [layer_copy(layer, article, sentences, proposals) for layer in layers]
    ReviewLayer.objects.bulk_update(layers, ["article", "attribution_map"])
    article_counts_refresh(article_ids=[c.pk for c in copies])
    Article.objects.filter(pk=article.pk).update(
        state=ArticleState.DOUBLE, assignee=None, lease_expires_at=None, version=F("version") + 1, updated_at=now
    )
    article_counts_apply(article_id=article.pk, state=ArticleState.DOUBLE)
    DoubleReview.objects.filter(pk=review.pk).update(stage=DoubleReviewStage.OPEN, started_at=now)
    review.stage, review.started_at = DoubleReviewStage.OPEN, now
    event_record(
        actor=None,
        article_id=article.pk,
        object_type="article",
        object_id=article.pk,
        action="double_review_start",
        before={"state": article.state},
        after={"state": ArticleState.DOUBLE, "layers": {layer.editor.get_username(): layer.pk for layer in layers}},
        note=f"each editor reviews their own copy of the {len(proposals)} proposals, blind",
    )


def double_review_start(*, review_id: int) -> bool:
    """Start a waiting double review whose article is pre-passed now (False if it is not, or not waiting)."""
    with transaction.atomic():
        review = DoubleReview.objects.select_for_update().get(pk=review_id)
        article = Article.objects.select_for_update().defer("raw").get(pk=review.article_id)
        if review.stage != DoubleReviewStage.WAITING or article.state != ArticleState.PREPASSED:
            return False
        _start(review, article)
        return True


def _picked(rule: DoubleReviewRule, article_id: int) -> bool:
    """The rule's random share, drawn per article from a hash (the same answer every time it is asked)."""
    digest = hashlib.sha256(f"double-review-rule:{rule.pk}:{article_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < rule.share


def double_reviews_after_prepass(*, article_ids: Sequence[int], new_ids: Sequence[int] = ()) -> list[int]:
    """After the pre-pass stored proposals: start the double reviews waiting for these articles, and send the
    active rule's share of ``new_ids`` (articles that were just imported) to double review. Returns the started.

    Never raises a database error to the pre-pass: what fails is logged and stays waiting (the double review page
    starts it again)."""
    started = []
    try:
        waiting = list(
            DoubleReview.objects.filter(article_id__in=list(article_ids), stage=DoubleReviewStage.WAITING).values_list(
                "pk", "article_id"
            )
        )
        for review_id, article_id in waiting:
            if double_review_start(review_id=review_id):
                started.append(article_id)
        rule = DoubleReviewRule.objects.filter(active=True).prefetch_related("editors").first() if new_ids else None
        if rule is not None:
            taken = set(DoubleReview.objects.filter(article_id__in=list(new_ids)).values_list("article_id", flat=True))
            picked = [pk for pk in new_ids if pk not in taken and _picked(rule, pk)]
            editors = sorted(rule.editors.all(), key=lambda u: u.pk)
            if picked and len(editors) >= 2:
                summary = double_review_mark(article_ids=picked, editors=editors, batch=rule.batch, by=rule.created_by)
                started += summary.started
    except (DatabaseError, ValidationError):
        log.exception("double review after the pre-pass of %s articles", len(article_ids))
    return started


def double_reviews_start_waiting() -> list[int]:
    """Start every waiting double review whose article is pre-passed by now (the page's "start" button)."""
    ids = DoubleReview.objects.filter(
        stage=DoubleReviewStage.WAITING, article__state=ArticleState.PREPASSED
    ).values_list("pk", flat=True)
    return [pk for pk in list(ids) if double_review_start(review_id=pk)]


@transaction.atomic
def double_review_rule_set(
    *, share: int | None, editors: Iterable = (), batch: str = "", by
) -> DoubleReviewRule | None:
    """The standing rule for new imports: ``share`` percent of them (a random draw per article) go to double review
    by ``editors``. ``share`` None or 0 ends the rule in force. One event, on no article."""
    current = DoubleReviewRule.objects.filter(active=True).first()
    before = _rule_dict(current)
    DoubleReviewRule.objects.filter(active=True).update(active=False)
    rule = None
    if share:
        if not 1 <= share <= 100:
            raise ValidationError({"share": "Give a share from 1 to 100 percent."})
        chosen = _editors(editors)
        rule = DoubleReviewRule.objects.create(
            share=share, batch=" ".join(batch.split())[:100] or f"imports from {default_batch()}", created_by=by
        )
        rule.editors.set(chosen)
    event_record(
        actor=by,
        article_id=None,
        object_type="double_review_rule",
        object_id=rule.pk if rule else None,
        action="double_review_rule",
        before=before,
        after=_rule_dict(rule),
    )
    return rule


def _rule_dict(rule: DoubleReviewRule | None) -> dict | None:
    if rule is None:
        return None
    return {"share": rule.share, "batch": rule.batch, "editors": sorted(u.get_username() for u in rule.editors.all())}


def random_share(ids: Sequence[int], share: int, *, seed: int | None = None) -> list[int]:
    """``share`` percent of ``ids`` (at least one when there are any), drawn at random, in id order."""
    ids = list(ids)
    if share >= 100 or not ids:
        return ids
    k = max(1, round(len(ids) * share / 100))
    return sorted(random.Random(seed).sample(ids, k))
