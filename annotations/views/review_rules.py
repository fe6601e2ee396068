"""Who may act on an article under review: the object-level rules every review action checks."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from annotations import services
from annotations.models import Article, ArticleState, Attribution
from annotations.roles import is_standards


def can_act(user, article: Article) -> bool:
    """Editors act on reviewable articles no other editor holds under a lease; standards editors act on
    any reviewable or reviewed article (they can also reassign it). An editor's layer of a double review (issue 15)
    is theirs alone, until they submit it (marking it reviewed hands it back); an article in double review is
    changed by its adjudication only."""
    if article.state == ArticleState.LAYER:
        return article.assignee_id is not None and article.assignee_id == getattr(user, "pk", None)
    if article.state in (ArticleState.PREPASSED, ArticleState.IN_REVIEW):
        return not article.held_by_other(user) or is_standards(user)
    return article.state == ArticleState.REVIEWED and is_standards(user)


def require_act(user, article: Article) -> None:
    if not can_act(user, article):
        if article.state in (ArticleState.LAYER, ArticleState.DOUBLE):
            raise PermissionDenied("This article is in double review: only its editors' own layers can be changed.")
        if article.held_by_other(user):
            until = timezone.localtime(article.lease_expires_at).strftime("%H:%M")
            raise PermissionDenied(
                f"{article.assignee} is reviewing this article until {until}; ask a standards editor to reassign it."
            )
        raise PermissionDenied("This article cannot be changed by your role in its current state.")
    renew_before = timedelta(minutes=settings.REVIEW_LEASE_MINUTES / 2)
    lease_left = article.lease_expires_at - timezone.now() if article.lease_expires_at else None
    if article.assignee_id == user.pk and lease_left is not None and lease_left < renew_before:
        # the editor is still at work here: keep the article theirs (one UPDATE, only when it runs low)
        services.article_lease_renew(article_id=article.pk, user=user)


def article_for_action(request: HttpRequest, pk: int) -> Article:
    article = get_object_or_404(Article.objects.select_related("assignee"), pk=pk)
    require_act(request.user, article)
    return article


def attribution_for_action(request: HttpRequest, pk: int) -> Attribution:
    attribution = get_object_or_404(
        Attribution.objects.select_related("article", "article__assignee").defer(
            "article__raw", "article__removed_lines"
        ),
        pk=pk,
    )
    require_act(request.user, attribution.article)
    return attribution
