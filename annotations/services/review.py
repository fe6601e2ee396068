"""Editors' writes: decisions on proposals, sentence labels, undo, the review queue.

Each function runs in a transaction, locks the row it changes, refuses a change
made against an older version (``StaleVersionError``, nothing written) and
leaves an ``Event`` with before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotations.models import (
    Article,
    ArticleState,
    Attribution,
    Event,
    Origin,
    ReviewState,
    Sentence,
    SentenceLabel,
    SourceType,
)

from .common import (
    ANONYMITY_FIELDS,
    ATTRIBUTION_FIELDS,
    EDITABLE_ATTRIBUTION_FIELDS,
    SENTENCE_FIELDS,
    ConflictError,
    attribution_snapshot,
    check_span,
    check_version,
    event_record,
    sentence_snapshot,
)
from .counts import article_counts_apply, attribution_part, sentence_part

UNDOABLE = {"confirm", "reject", "correct", "add", "label", "label_confirm"}
MISSING_VERSION = "The form must carry the version you saw."


def _lock_attribution(attribution_id: int) -> Attribution:
    # The article comes along (state, body length) without its texts.
    return (
        Attribution.objects.select_for_update(of=("self",))
        .select_related("article")
        .defer("article__body", "article__raw", "article__removed_lines")
        .get(pk=attribution_id)
    )


def _start_review(article: Article) -> str | None:
    """The first decision moves a pre-passed article into review; returns the new state if it moved."""
    if article.state == ArticleState.PREPASSED:
        Article.objects.filter(pk=article.pk, state=ArticleState.PREPASSED).update(
            state=ArticleState.IN_REVIEW, updated_at=timezone.now()
        )
        article.state = ArticleState.IN_REVIEW
        return article.state
    return None


def _validate_attribution(attribution: Attribution) -> None:
    length = attribution.article.body_length
    check_span(length, attribution.source_start, attribution.source_end, "source")
    check_span(length, attribution.cue_start, attribution.cue_end, "cue")
    check_span(length, attribution.content_start, attribution.content_end, "content")
    check_span(length, attribution.anon_justification_start, attribution.anon_justification_end, "justification")
    if attribution.source_start is None and attribution.cue_start is None:
        raise ValidationError("An attribution needs a source span or a cue span.")
    if attribution.source_type not in SourceType.values:
        raise ValidationError({"source_type": f"Unknown source type {attribution.source_type!r}."})
    if attribution.source_type != SourceType.ANONYMOUS:
        # Anonymity fields describe anonymous sources only.
        for name in ANONYMITY_FIELDS:
            setattr(attribution, name, None if name.endswith(("_start", "_end")) else "")
    if attribution.speaker_ref_id is not None and (
        attribution.speaker_ref_id == attribution.pk
        or not Attribution.objects.filter(pk=attribution.speaker_ref_id, article_id=attribution.article_id).exists()
    ):
        raise ValidationError({"speaker_ref": "The speaker reference must be another attribution of this article."})
    offset = attribution.cue_start if attribution.cue_start is not None else attribution.source_start
    attribution.sentence = Sentence.objects.filter(
        article_id=attribution.article_id, start__lte=offset, end__gt=offset
    ).first()


def _decide(attribution: Attribution, user, state: str) -> None:
    attribution.review_state = state
    attribution.reviewed_by = user
    attribution.reviewed_at = timezone.now()
    if attribution.pk is not None:
        attribution.version += 1  # safe in Python: the row is locked (select_for_update)


def _save_attribution(attribution: Attribution, *, user, action: str, before: dict | None) -> Attribution:
    attribution.save()
    after = attribution_snapshot(attribution)
    article_counts_apply(
        article_id=attribution.article_id,
        before=attribution_part(before),
        after=attribution_part(after),
        state=_start_review(attribution.article),
    )
    event_record(
        actor=user,
        article_id=attribution.article_id,
        object_type="attribution",
        object_id=attribution.pk,
        action=action,
        before=before,
        after=after,
    )
    return attribution


@transaction.atomic
def attribution_confirm(*, attribution_id: int, user, version: int | None) -> Attribution:
    attribution = _lock_attribution(attribution_id)
    check_version(attribution, version)
    before = attribution_snapshot(attribution)
    state = ReviewState.ADDED if attribution.origin == Origin.EDITOR else ReviewState.CONFIRMED
    if attribution.review_state == ReviewState.CORRECTED:
        state = ReviewState.CORRECTED  # confirming a corrected one keeps the record that it was corrected
    _decide(attribution, user, state)
    return _save_attribution(attribution, user=user, action="confirm", before=before)


@transaction.atomic
def attribution_reject(*, attribution_id: int, user, version: int | None) -> Attribution:
    attribution = _lock_attribution(attribution_id)
    check_version(attribution, version)
    before = attribution_snapshot(attribution)
    _decide(attribution, user, ReviewState.REJECTED)
    return _save_attribution(attribution, user=user, action="reject", before=before)


@transaction.atomic
def attribution_correct(*, attribution_id: int, user, version: int | None, changes: Mapping[str, Any]) -> Attribution:
    """Change fields or span edges (a span added to an existing attribution, too). Unknown field names are refused.

    The version the editor saw is required: a change without one could silently overwrite another's.
    """
    if version is None:
        raise ValidationError(MISSING_VERSION, code="version_required")
    unknown = set(changes) - set(EDITABLE_ATTRIBUTION_FIELDS)
    if unknown:
        raise ValidationError(f"Not editable: {', '.join(sorted(unknown))}.")
    attribution = _lock_attribution(attribution_id)
    check_version(attribution, version)
    before = attribution_snapshot(attribution)
    for name, value in changes.items():
        setattr(attribution, name, value)
    _validate_attribution(attribution)
    if attribution_snapshot(attribution) == before:
        return attribution  # nothing changed: no version bump, no event
    state = ReviewState.ADDED if attribution.origin == Origin.EDITOR else ReviewState.CORRECTED
    _decide(attribution, user, state)
    return _save_attribution(attribution, user=user, action="correct", before=before)


@transaction.atomic
def attribution_add(*, article_id: int, user, fields: Mapping[str, Any]) -> Attribution:
    """An attribution the pre-pass missed."""
    unknown = set(fields) - set(EDITABLE_ATTRIBUTION_FIELDS)
    if unknown:
        raise ValidationError(f"Not editable: {', '.join(sorted(unknown))}.")
    article = Article.objects.get(pk=article_id)
    attribution = Attribution(article=article, origin=Origin.EDITOR, **fields)
    _validate_attribution(attribution)
    attribution.review_state = ReviewState.ADDED
    attribution.reviewed_by = user
    attribution.reviewed_at = timezone.now()
    return _save_attribution(attribution, user=user, action="add", before=None)


@transaction.atomic
def sentence_label_set(*, sentence_id: int, user, version: int | None, label: str) -> Sentence:
    if label not in SentenceLabel.values:
        raise ValidationError({"label": f"Unknown sentence label {label!r}."})
    sentence = (
        Sentence.objects.select_for_update(of=("self",))
        .select_related("article")
        .defer("article__body", "article__raw", "article__removed_lines")
        .get(pk=sentence_id)
    )
    check_version(sentence, version)
    before = sentence_snapshot(sentence)
    if label == sentence.proposed_label and sentence.label_origin == Origin.PREPASS:
        action, state = "label_confirm", ReviewState.CONFIRMED
    else:
        action, state = "label", ReviewState.CORRECTED if sentence.proposed_label else ReviewState.ADDED
    sentence.label = label
    sentence.review_state = state
    sentence.reviewed_by = user
    sentence.reviewed_at = timezone.now()
    sentence.version += 1  # the row is locked
    sentence.save()
    article_counts_apply(
        article_id=sentence.article_id,
        before=sentence_part(before["label"]),
        after=sentence_part(label),
        state=_start_review(sentence.article),
    )
    event_record(
        actor=user,
        article_id=sentence.article_id,
        object_type="sentence",
        object_id=sentence.pk,
        action=action,
        before=before,
        after=sentence_snapshot(sentence),
    )
    return sentence


def _restore(obj, snapshot: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if name == "version":
            continue
        value = snapshot.get(name)
        if name.endswith("_at") and isinstance(value, str):
            value = parse_datetime(value)
        setattr(obj, name, value)


@transaction.atomic
def article_undo_last(*, article_id: int, user) -> Event:
    """Undo this editor's last action in this article (refused if someone changed the object since)."""
    undone = set(
        Event.objects.filter(article_id=article_id, actor=user, action="undo").values_list("after__undid", flat=True)
    )
    last = (
        Event.objects.filter(article_id=article_id, actor=user, action__in=UNDOABLE)
        .exclude(pk__in=[u for u in undone if u is not None])
        .order_by("-created_at", "-id")
        .first()
    )
    if last is None:
        raise ConflictError("Nothing of yours to undo in this article.")
    if last.object_type == "attribution":
        obj = Attribution.objects.select_for_update().select_related("article").filter(pk=last.object_id).first()
        fields, snap = ATTRIBUTION_FIELDS, attribution_snapshot
    else:
        obj = Sentence.objects.select_for_update().select_related("article").filter(pk=last.object_id).first()
        fields, snap = SENTENCE_FIELDS, sentence_snapshot
    if obj is None or (last.after and obj.version != last.after.get("version")):
        raise ConflictError("Someone changed this since your last action; it cannot be undone.")
    current = snap(obj)
    if last.before is None:  # undoing an add: the attribution goes; the log keeps it
        obj.delete()
        after = None
    else:
        _restore(obj, last.before, fields)
        obj.version += 1  # the row is locked
        obj.save()
        after = snap(obj)
    if last.object_type == "attribution":
        article_counts_apply(article_id=article_id, before=attribution_part(current), after=attribution_part(after))
    else:
        article_counts_apply(
            article_id=article_id, before=sentence_part(current["label"]), after=sentence_part(after["label"])
        )
    return event_record(
        actor=user,
        article_id=article_id,
        object_type=last.object_type,
        object_id=last.object_id,
        action="undo",
        before=current,
        after={**(after or {}), "undid": last.pk},
    )


def article_open_items(article: Article) -> dict[str, int]:
    """What is left before the article can be marked reviewed."""
    return {
        "attributions": article.attributions.filter(review_state=ReviewState.PROPOSED).count(),
        "sentences": article.sentences.filter(label="").count(),
    }


@transaction.atomic
def article_mark_reviewed(*, article_id: int, user, version: int | None = None) -> Article:
    article = Article.objects.select_for_update().get(pk=article_id)
    check_version(article, version)
    left = article_open_items(article)
    if any(left.values()):
        raise ConflictError(f"{left['attributions']} proposals undecided and {left['sentences']} sentences unlabelled.")
    before = {"state": article.state, "version": article.version}
    now = timezone.now()
    # an editor's layer of a double review (issue 15) stays a layer: marking it reviewed submits it
    layer = article.state == ArticleState.LAYER
    # Sentence labels left as proposed are confirmed by marking the article reviewed.
    proposed = list(article.sentences.filter(review_state=ReviewState.PROPOSED).values_list("pk", flat=True))
    article.sentences.filter(pk__in=proposed).update(
        review_state=ReviewState.CONFIRMED, reviewed_by=user, reviewed_at=now, version=F("version") + 1
    )
    article.state = ArticleState.LAYER if layer else ArticleState.REVIEWED
    article.reviewed_by = user
    article.reviewed_at = now
    article.assignee = None
    article.lease_expires_at = None
    article.version = F("version") + 1
    article.save()
    article.refresh_from_db()
    article_counts_apply(article_id=article.pk, state=article.state)
    event_record(
        actor=user,
        article_id=article.pk,
        object_type="article",
        object_id=article.pk,
        action="reviewed",
        before=before,
        after={"state": article.state, "version": article.version, "sentences_confirmed": proposed},
    )
    if layer:
        from .double_review_close import double_review_layer_submitted

        double_review_layer_submitted(layer_article=article, user=user)
    return article


QUEUE_ORDERS = ("default", "uncertain")


def article_lease_next(*, user, order: str = "default") -> Article | None:
    """Hand this editor the next article no one else holds (their own current lease first).

    ``order="uncertain"``: the articles whose proposals the pre-pass was least sure of first (the lowest
    ``proposal_confidence``, on its index), where editors' decisions teach the next model most; articles
    without proposals after them. The default order: articles in review first, then the oldest pre-passed.
    """
    if order not in QUEUE_ORDERS:
        raise ValueError(f"unknown queue order {order!r}; expected one of {', '.join(QUEUE_ORDERS)}")
    now = timezone.now()
    expires = now + timedelta(minutes=settings.REVIEW_LEASE_MINUTES)
    with transaction.atomic():
        mine = (
            Article.objects.select_for_update()
            .filter(assignee=user, lease_expires_at__gte=now)
            .exclude(state=ArticleState.REVIEWED)
            .order_by("lease_expires_at")
            .first()
        )
        if mine:
            Article.objects.filter(pk=mine.pk).update(lease_expires_at=expires)
            return mine
        candidates = Article.objects.reviewable().unleased(now)
        if order == "uncertain":
            candidates = candidates.order_by("state", F("proposal_confidence").asc(nulls_last=True), "pk")
        else:
            candidates = candidates.order_by("state", "processed_at", "pk")
        if connection.vendor == "postgresql":
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        article = candidates.first()
        if article is None:
            return None
        # The conditional update is what makes the lease safe on every database.
        taken = (
            Article.objects.filter(pk=article.pk)
            .unleased(now)
            .update(assignee=user, lease_expires_at=expires, updated_at=now)
        )
        if not taken:
            return None
        event_record(
            actor=user,
            article_id=article.pk,
            object_type="article",
            object_id=article.pk,
            action="lease",
            after={"assignee": user.pk, "expires": expires.isoformat()},
        )
        article.refresh_from_db()
        return article


def article_lease_renew(*, article_id: int, user) -> bool:
    """Extend this editor's own lease on an article they are working in (False if it is not theirs).

    No event: extending a lease decides nothing; taking and reassigning one are logged.
    """
    expires = timezone.now() + timedelta(minutes=settings.REVIEW_LEASE_MINUTES)
    return bool(Article.objects.filter(pk=article_id, assignee=user).update(lease_expires_at=expires))


@transaction.atomic
def article_assign(*, article_id: int, assignee, by) -> Article:
    """A standards editor hands an article to someone (or to no one)."""
    article = Article.objects.select_for_update().get(pk=article_id)
    before = {"assignee": article.assignee_id}
    article.assignee = assignee
    article.lease_expires_at = timezone.now() + timedelta(minutes=settings.REVIEW_LEASE_MINUTES) if assignee else None
    article.save(update_fields=["assignee", "lease_expires_at", "updated_at"])
    event_record(
        actor=by,
        article_id=article.pk,
        object_type="article",
        object_id=article.pk,
        action="assign",
        before=before,
        after={"assignee": assignee.pk if assignee else None},
    )
    return article
