"""Plain factory functions for tests: no factory library, explicit defaults."""

from __future__ import annotations

import itertools

from django.contrib.auth.models import Group, User

from annotations import services
from annotations.models import (
    Article,
    ArticleState,
    Attribution,
    Origin,
    Outlet,
    ReviewState,
    Sentence,
    SentenceLabel,
    SourceType,
)

_seq = itertools.count(1)

DEFAULT_BODY = (
    "Finance Minister Anna Berg said the budget would pass. "
    "A senior official, who spoke on condition of anonymity because talks were private, said it might not. "
    "The bridge cost 40 million euros."
)


def make_user(
    username: str | None = None, *, role: str | None = "editor", password: str = "pw-Sourcing-1", **kw
) -> User:
    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, password=password, **kw)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_outlet(name: str | None = None, **kw) -> Outlet:
    name = name or f"Outlet {next(_seq)}"
    return services.outlet_get_or_create(name=name, **kw)


def make_article(
    *,
    outlet: Outlet | None = None,
    body: str = DEFAULT_BODY,
    title: str | None = None,
    state: str = ArticleState.PREPASSED,
    sentences: bool = True,
    **kw,
) -> Article:
    """An article with its sentences split on ". " (fast, no spaCy)."""
    n = next(_seq)
    article = Article.objects.create(
        outlet=outlet or make_outlet(),
        title=title if title is not None else f"Article {n}",
        raw=body,
        body=body,
        content_hash=services.content_hash(body + str(n)),
        state=state,
        **kw,
    )
    if sentences:
        start, index = 0, 0
        while start < len(body):
            end = body.find(". ", start)
            end = len(body) if end == -1 else end + 1
            Sentence.objects.create(
                article=article,
                index=index,
                start=start,
                end=end,
                label=SentenceLabel.NO_CLAIM,
                proposed_label=SentenceLabel.NO_CLAIM,
                confidence=0.6,
                pipeline="test",
                pipeline_version="1",
            )
            index += 1
            start = end + 1
    return article


def make_attribution(
    article: Article,
    *,
    source: str | None = None,
    cue: str | None = "said",
    content: str | None = None,
    source_type: str = SourceType.NAMED_PERSON,
    review_state: str = ReviewState.PROPOSED,
    origin: str = Origin.PREPASS,
    confidence: float = 0.7,
    **kw,
) -> Attribution:
    """An attribution whose spans are found by text in the body (first occurrence)."""

    def find(text: str | None) -> tuple[int | None, int | None]:
        if text is None:
            return None, None
        i = article.body.index(text)
        return i, i + len(text)

    source_start, source_end = find(source)
    cue_start, cue_end = find(cue)
    content_start, content_end = find(content)
    sentence = Sentence.objects.filter(
        article=article, start__lte=cue_start or source_start or 0, end__gt=cue_start or source_start or 0
    ).first()
    return Attribution.objects.create(
        article=article,
        sentence=sentence,
        source_type=source_type,
        source_start=source_start,
        source_end=source_end,
        cue_start=cue_start,
        cue_end=cue_end,
        content_start=content_start,
        content_end=content_end,
        review_state=review_state,
        origin=origin,
        confidence=confidence,
        pipeline="test",
        pipeline_version="1",
        proposal={"source_type": source_type},
        **kw,
    )
