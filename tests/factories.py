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
    services.article_counts_refresh(article_ids=[article.pk])
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
    attribution = Attribution.objects.create(
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
    # Like the services, keep the scorecard's per-article counts exact.
    services.article_counts_refresh(article_ids=[article.pk])
    return attribution


# --- exports (issue 6) ------------------------------------------------------------------

EXPORT_BODY = (
    'Finance Minister Anna Berg said "the budget, as drafted, will pass." '
    '=HYPERLINK("http://x") is what critics called it, according to a memo.\n\n'
    "A senior official, who spoke on condition of anonymity because talks were private, said it might not. "
    "+Reuters reported that the bridge cost 40 million euros; officials said costs rose. "
    "She added that talks would go on."
)


def _span_of(body: str, text: str, after: int = 0) -> tuple[int, int]:
    i = body.index(text, after)
    return i, i + len(text)


def make_export_article(
    *,
    outlet: Outlet | None = None,
    reviewer: User | None = None,
    state: str = ArticleState.REVIEWED,
    title: str = '@SUM(1,2) "Budget", talks\nsecond line',
    published=None,
    body: str = EXPORT_BODY,
) -> Article:
    """A reviewed article for export tests: five attributions of every kind (one rejected, one still proposed
    only when ``state`` is not reviewed), a speaker reference, a two-line title and formula-like text."""
    import datetime as _dt

    from django.utils import timezone as _tz

    article = make_article(
        outlet=outlet,
        body=body,
        title=title,
        state=state,
        published=published or _dt.date(2026, 3, 4),
        url="https://example.com/a?x=1,2",
        byline='By Ana "Quotes", Staff',
    )
    now = _tz.now()
    if state == ArticleState.REVIEWED:
        Article.objects.filter(pk=article.pk).update(reviewed_by=reviewer, reviewed_at=now)
        article.refresh_from_db()
    decided = ReviewState.PROPOSED if state != ArticleState.REVIEWED else ReviewState.CONFIRMED

    def attr(source, cue, content=None, *, after=0, **kw):
        s = _span_of(body, source, after) if source else (None, None)
        c = _span_of(body, cue, after) if cue else (None, None)
        t = _span_of(body, content, after) if content else (None, None)
        sentence = Sentence.objects.filter(article=article, start__lte=(c[0] or s[0]), end__gt=(c[0] or s[0])).first()
        defaults = {
            "review_state": decided,
            "origin": Origin.PREPASS,
            "confidence": 0.8,
            "pipeline": "rules",
            "pipeline_version": "2",
            "proposal": {"source_type": kw.get("source_type", "named_person")},
        }
        defaults.update(kw)
        if defaults["review_state"] != ReviewState.PROPOSED:
            defaults.setdefault("reviewed_by", reviewer)
            defaults.setdefault("reviewed_at", now)
        return Attribution.objects.create(
            article=article,
            sentence=sentence,
            source_start=s[0],
            source_end=s[1],
            cue_start=c[0],
            cue_end=c[1],
            content_start=t[0],
            content_end=t[1],
            **defaults,
        )

    berg = attr(
        "Finance Minister Anna Berg",
        "said",
        '"the budget, as drafted, will pass."',
        source_type=SourceType.NAMED_PERSON,
        quote_kind="direct",
    )
    attr(
        "a memo",
        "according to",
        '=HYPERLINK("http://x") is what critics called it',
        source_type=SourceType.DOCUMENT,
        review_state=ReviewState.CORRECTED,
        quote_kind="indirect",
    )
    just = _span_of(body, "who spoke on condition of anonymity because talks were private")
    attr(
        "A senior official",
        "said",
        "it might not",
        after=body.index("A senior"),
        source_type=SourceType.ANONYMOUS,
        anon_descriptor="",
        anon_seniority="senior",
        anon_number="one",
        anon_justification_start=just[0],
        anon_justification_end=just[1],
        anon_specificity="bare",
        quote_kind="indirect",
    )
    attr(
        "+Reuters",
        "reported",
        "that the bridge cost 40 million euros",
        source_type=SourceType.MEDIA,
        via="Reuters",
        review_state=ReviewState.ADDED,
        origin=Origin.EDITOR,
        confidence=None,
        pipeline="",
        pipeline_version="",
        proposal=None,
    )
    attr(
        "officials",
        "said",
        "costs rose",
        after=body.index("; officials"),
        source_type=SourceType.UNSPECIFIED,
        review_state=ReviewState.REJECTED,
    )
    attr("She", "added", "that talks would go on", source_type=SourceType.NAMED_PERSON, speaker_ref=berg)
    if state == ArticleState.REVIEWED:
        Sentence.objects.filter(article=article).update(
            label=SentenceLabel.SOURCED, review_state=ReviewState.CONFIRMED, reviewed_by=reviewer, reviewed_at=now
        )
    services.article_counts_refresh(article_ids=[article.pk])
    return article


# --- double review (issue 15) -----------------------------------------------------------------------------------


def make_double_review(article: Article, editors: list[User], *, by: User | None = None, batch: str = "test batch"):
    """Mark ``article`` for double review by ``editors`` (a pre-passed article starts at once: its layers exist)."""
    from annotations.models import DoubleReview

    services.double_review_mark(article_ids=[article.pk], editors=editors, batch=batch, by=by)
    return DoubleReview.objects.get(article=article)


def layer_of(review, editor: User):
    return review.layers.select_related("article").get(editor=editor)


def review_layer(
    layer,
    *,
    decide: list | None = None,
    labels: list[str] | None = None,
    add: list[dict] | None = None,
    submit: bool = True,
) -> None:
    """One editor's review of their layer, through the review services: ``decide`` one entry per copied proposal in
    reading order ("confirm", "reject" or a dict of changes), ``labels`` one per sentence, ``add`` fields of
    attributions they add; then submitted (marked reviewed)."""
    editor = layer.editor
    copies = list(Attribution.objects.filter(article_id=layer.article_id).in_reading_order())
    for a, decision in zip(copies, decide or ["confirm"] * len(copies), strict=True):
        a.refresh_from_db()
        if decision == "confirm":
            services.attribution_confirm(attribution_id=a.pk, user=editor, version=a.version)
        elif decision == "reject":
            services.attribution_reject(attribution_id=a.pk, user=editor, version=a.version)
        else:
            services.attribution_correct(attribution_id=a.pk, user=editor, version=a.version, changes=decision)
    for fields in add or []:
        services.attribution_add(article_id=layer.article_id, user=editor, fields=fields)
    sentences = list(Sentence.objects.filter(article_id=layer.article_id).order_by("index"))
    for s, label in zip(sentences, labels or [], strict=False):
        services.sentence_label_set(sentence_id=s.pk, user=editor, version=s.version, label=label)
    if submit:
        version = Article.objects.get(pk=layer.article_id).version
        services.article_mark_reviewed(article_id=layer.article_id, user=editor, version=version)


def span_fields(article: Article, *, source: str | None = None, cue: str | None = None, content: str | None = None):
    """Span offsets of texts found in the body (first occurrence), as attribution fields."""
    out: dict = {}
    for role, text in (("source", source), ("cue", cue), ("content", content)):
        if text is not None:
            i = article.body.index(text)
            out[f"{role}_start"], out[f"{role}_end"] = i, i + len(text)
    return out
