"""Double review (issue 15), when plans change: give an editor's unsubmitted layer to another editor, or call the
double review off. Both only before the review closes (stages ``waiting`` and ``open``): once every layer is in,
the figures exist and the article is adjudicated instead.

- ``double_review_layer_reassign``: the layer goes to another active editor who is not yet in the review. An open
  review's layer gets a fresh copy of the pre-pass proposals: the new editor reviews blind and from the start, so
  the figures stay one editor's judgement against another's. The discarded copy's decisions stay in the History.
- ``double_review_cancel``: the editors' copies are removed and the article returns to the ordinary queue as it
  was before it was marked (pre-passed, with its untouched proposals; or still waiting for the pre-pass). It may be
  marked again later.

Each is one transaction with the review row locked, and leaves one event in the article's History saying what was
discarded (whose layer, how many decisions, which layers had been submitted).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotations.models import (
    Article,
    ArticleState,
    DoubleReview,
    DoubleReviewStage,
    ReviewLayer,
)

from .common import event_record
from .counts import article_counts_apply, article_counts_refresh
from .double_review import layer_copy, layer_sources, not_an_editor

CHANGEABLE_STAGES = (DoubleReviewStage.WAITING, DoubleReviewStage.OPEN)


def _locked_review(article_id: int) -> DoubleReview:
    review = DoubleReview.objects.select_for_update().filter(article_id=article_id).first()
    if review is None:
        raise ValidationError("This article is not in double review.")
    if review.stage not in CHANGEABLE_STAGES:
        raise ValidationError(
            f"This double review is {review.get_stage_display().lower()}: every layer is in, so it can only be "
            "adjudicated now."
        )
    return review


def _discarded(n: int, whose: str) -> str:
    return f"{n} decision{'s' if n != 1 else ''} {whose} discarded" if n else ""


@transaction.atomic
def double_review_layer_reassign(*, article_id: int, position: int, editor, by) -> ReviewLayer:
    """Give the unsubmitted layer at ``position`` of ``article_id``'s double review to ``editor``."""
    review = _locked_review(article_id)
    layer = (
        ReviewLayer.objects.with_decisions()
        .select_related("editor", "review")
        .filter(review=review, position=position)
        .first()
    )
    if layer is None:
        raise ValidationError({"position": f"This double review has no layer {position}."})
    if layer.submitted_at is not None:
        raise ValidationError(
            f"{layer.editor.get_username()} has already submitted this layer: it cannot be given to someone else."
        )
    if problem := not_an_editor(editor):
        raise ValidationError({"editor": problem})
    if review.layers.filter(editor=editor).exists():
        raise ValidationError({"editor": f"{editor.get_username()} already reviews this article."})
    previous = layer.editor
    layer.editor = editor
    if layer.article_id:
        Article.objects.filter(pk=layer.article_id).delete()
        article = Article.objects.get(pk=review.article_id)
        sentences, proposals = layer_sources(article)
        copy = layer_copy(layer, article, sentences, proposals)
        article_counts_refresh(article_ids=[copy.pk])
    layer.save(update_fields=["editor", "article", "attribution_map"])
    event_record(
        actor=by,
        article_id=review.article_id,
        object_type="article",
        object_id=review.article_id,
        action="layer_reassign",
        before={"editor": previous.get_username(), "decisions": layer.decisions},
        after={"editor": editor.get_username(), "layer": position},
        note=_discarded(layer.decisions, f"of {previous.get_username()}"),
    )
    return layer


@transaction.atomic
def double_review_cancel(*, article_id: int, by) -> Article:
    """Call the double review of ``article_id`` off: the copies go, the article is back in the ordinary queue."""
    review = _locked_review(article_id)
    article = Article.objects.select_for_update().defer("raw", "body").get(pk=review.article_id)
    layers = list(review.layers.with_decisions().select_related("editor").order_by("position"))
    copy_ids = [layer.article_id for layer in layers if layer.article_id]
    discarded = sum(layer.decisions for layer in layers)
    before = {
        "state": article.state,
        "stage": review.stage,
        "batch": review.batch,
        "editors": [layer.editor.get_username() for layer in layers],
        "submitted": [layer.editor.get_username() for layer in layers if layer.submitted_at],
        "decisions": discarded,
    }
    Article.objects.filter(pk__in=copy_ids).delete()
    review.delete()
    state = ArticleState.PREPASSED if article.state == ArticleState.DOUBLE else article.state
    if state != article.state:
        Article.objects.filter(pk=article.pk).update(state=state, version=F("version") + 1, updated_at=timezone.now())
        article_counts_apply(article_id=article.pk, state=state)
        article.state = state
    event_record(
        actor=by,
        article_id=article.pk,
        object_type="article",
        object_id=article.pk,
        action="double_review_cancel",
        before=before,
        after={"state": state},
        note=_discarded(discarded, "on the editors' copies"),
    )
    return article
