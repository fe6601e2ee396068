"""Who may see what of a double review (issue 15), and what the review page says about one.

An editor's layer (their copy of the article, state ``layer``) is seen by that editor; once every layer is
submitted, also by the other editors of the review and by standards editors. While the review is open nobody
else, standards editors included, sees it: the review is blind.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.urls import reverse

from annotations.models import Article, ArticleState, DoubleReview, DoubleReviewStage, ReviewLayer
from annotations.roles import is_standards


def require_layer_visible(user, article: Article) -> ReviewLayer | None:
    """For an article that is an editor's layer: that layer, if ``user`` may see it (403 otherwise)."""
    if article.state != ArticleState.LAYER:
        return None
    layer = ReviewLayer.objects.select_related("review", "editor").filter(article_id=article.pk).first()
    if layer is None:
        raise Http404("This copy belongs to no double review.")
    if layer.editor_id == getattr(user, "pk", None):
        return layer
    if layer.review.is_closed and (is_standards(user) or layer.review.layers.filter(editor_id=user.pk).exists()):
        return layer
    raise PermissionDenied(
        "This is another editor's layer of a double review: it stays hidden until every editor has submitted theirs."
    )


def double_review_context(request: HttpRequest, article: Article) -> dict[str, Any]:
    """What the review page of an article in double review, or of a layer, says about it (two queries)."""
    user = request.user
    if article.state == ArticleState.LAYER:
        layer = ReviewLayer.objects.select_related("review", "editor").filter(article_id=article.pk).first()
        review = layer.review if layer else None
    else:
        layer = None
        review = DoubleReview.objects.filter(article_id=article.pk).first()
    if review is None:
        return {}
    layers = list(review.layers.select_related("editor").order_by("position"))
    mine = next((x for x in layers if x.editor_id == user.pk), None)
    return {
        "double": {
            "review": review,
            "layer": layer,
            "own": layer is not None and layer.editor_id == user.pk,
            "editors": [x.editor.get_username() for x in layers],
            "submitted": sum(1 for x in layers if x.submitted_at),
            "article_url": reverse("review", args=[review.article_id]),
            "my_layer_url": reverse("review", args=[mine.article_id]) if mine and mine.article_id else "",
            "my_layer_submitted": bool(mine and mine.submitted_at),
            "adjudicate_url": reverse("adjudication", args=[review.article_id])
            if review.stage in (DoubleReviewStage.ADJUDICATION, DoubleReviewStage.CLOSED) and is_standards(user)
            else "",
        }
    }
