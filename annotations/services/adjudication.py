"""Adjudication of a closed double review: a standards editor settles each difference, then the result becomes the
article's review.

``adjudication_choose`` settles one item (one editor's version of an attribution, none of them, an edited one; a
sentence label), each an ``adjudicate`` event in the article's History. ``adjudication_finish`` writes what every
item keeps (the editors' common answer where they agree) into the article's own attributions and sentences, each
change an ``adjudicated`` event, and marks the article reviewed: from then on the scorecard counts it and exports
carry it like any reviewed article.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotations import agreement
from annotations.models import (
    AdjudicationChoice,
    AdjudicationItem,
    Article,
    ArticleState,
    Attribution,
    DoubleReview,
    DoubleReviewStage,
    Event,
    Origin,
    ReviewLayer,
    ReviewState,
    Sentence,
    SentenceLabel,
    SourceType,
)

from .common import (
    ANONYMITY_FIELDS,
    ConflictError,
    StaleVersionError,
    attribution_snapshot,
    check_span,
    event_record,
    sentence_snapshot,
)
from .counts import article_counts_refresh
from .double_review_close import attribution_values

ACTIONS = ("layer", "none", "edited", "label")


def _item_snapshot(item: AdjudicationItem, layers: Mapping[int, ReviewLayer]) -> dict[str, Any]:
    chosen = layers.get(item.chosen_layer_id) if item.chosen_layer_id else None
    values = item.values or {}
    out: dict[str, Any] = {
        "item": f"{item.kind} {item.unit}",
        "choice": item.choice or "undecided",
        "taken_from": chosen.editor.get_username() if chosen else None,
        "version": item.version,
    }
    if item.kind == "sentence":
        out["label"] = values.get("label")
    elif item.values is not None:
        out.update({name: values.get(name) for name in agreement.COMPARED_FIELDS})
    return out


def _validate_values(values: Mapping[str, Any], body_length: int) -> dict[str, Any]:
    """An edited attribution, checked as the review services check one (spans inside the body, a source or a cue,
    a known source type; anonymity only for anonymous sources)."""
    out = {name: values.get(name) for name in agreement.COMPARED_FIELDS}
    for name in ("quote_kind", "via", "anon_descriptor", "anon_seniority", "anon_number", "anon_specificity"):
        out[name] = out[name] or ""
    check_span(body_length, out["source_start"], out["source_end"], "source")
    check_span(body_length, out["cue_start"], out["cue_end"], "cue")
    check_span(body_length, out["content_start"], out["content_end"], "content")
    check_span(body_length, out["anon_justification_start"], out["anon_justification_end"], "justification")
    if out["source_start"] is None and out["cue_start"] is None:
        raise ValidationError("An attribution needs a source span or a cue span.")
    if out["source_type"] not in SourceType.values:
        raise ValidationError({"source_type": f"Unknown source type {out['source_type']!r}."})
    if out["source_type"] != SourceType.ANONYMOUS:
        for name in ANONYMITY_FIELDS:
            out[name] = None if name.endswith(("_start", "_end")) else ""
    out["from_layer_attribution"] = values.get("from_layer_attribution")
    return out


def _check_item_version(item: AdjudicationItem, version: int | None) -> None:
    if version is not None and item.version != version:
        last = (
            Event.objects.filter(object_type="adjudication", object_id=item.pk)
            .select_related("actor")
            .order_by("-created_at", "-id")
            .first()
        )
        raise StaleVersionError(item, last)


@transaction.atomic
def adjudication_choose(
    *,
    item_id: int,
    user,
    version: int | None,
    choice: str,
    layer_id: int | None = None,
    label: str = "",
    values: Mapping[str, Any] | None = None,
) -> AdjudicationItem:
    """Settle one item: ``choice`` "layer" (take ``layer_id``'s version), "none" (no attribution), "edited"
    (``values``, checked), or "label" (a sentence's ``label``, whoever chose it)."""
    item = AdjudicationItem.objects.select_for_update().select_related("review").get(pk=item_id)
    review = item.review
    if review.stage != DoubleReviewStage.ADJUDICATION:
        raise ConflictError("This double review is not waiting for adjudication.")
    _check_item_version(item, version)
    layers = {layer.pk: layer for layer in review.layers.select_related("editor")}
    before = _item_snapshot(item, layers)
    if choice not in ACTIONS:
        raise ValidationError({"choice": f"Unknown choice {choice!r}."})
    if item.kind == "sentence":
        if choice != "label" or label not in SentenceLabel.values:
            raise ValidationError({"label": "Choose one of the sentence labels."})
        item.choice, item.chosen_layer_id, item.values = AdjudicationChoice.LABEL, None, {"label": label}
    elif choice == "layer":
        member = (item.members or {}).get(str(layer_id))
        if layer_id not in layers or member is None:
            raise ValidationError({"choice": "That editor has no version of this attribution to take."})
        row = Attribution.objects.filter(pk=member, article_id=layers[layer_id].article_id).values(
            "id", *agreement.COMPARED_FIELDS
        )
        found = row.first()
        if found is None:
            raise ConflictError("That editor's attribution is gone.")
        item.choice, item.chosen_layer_id, item.values = AdjudicationChoice.LAYER, layer_id, attribution_values(found)
    elif choice == "none":
        item.choice, item.chosen_layer_id, item.values = AdjudicationChoice.NONE, None, None
    elif choice == "edited":
        body_length = Article.objects.filter(pk=review.article_id).values_list("body_length", flat=True).get()
        checked = _validate_values(values or {}, body_length)
        item.choice, item.chosen_layer_id, item.values = AdjudicationChoice.EDITED, None, checked
    else:
        raise ValidationError({"choice": "A sentence takes a label; an attribution a version, none or an edit."})
    item.decided_by = user
    item.decided_at = timezone.now()
    item.version += 1  # the row is locked
    item.save()
    after = _item_snapshot(item, layers)
    event_record(
        actor=user,
        article_id=review.article_id,
        object_type="adjudication",
        object_id=item.pk,
        action="adjudicate",
        before=before,
        after=after,
        note=_note(item, layers),
    )
    return item


def _note(item: AdjudicationItem, layers: Mapping[int, ReviewLayer]) -> str:
    if item.kind == "sentence":
        label = (item.values or {}).get("label")
        chose = sorted(layers[int(k)].editor.get_username() for k, v in item.members.items() if v == label)
        return f"sentence {item.unit}: {label}" + (f" (as {', '.join(chose)})" if chose else " (neither editor's)")
    if item.choice == AdjudicationChoice.LAYER:
        return f"attribution {item.unit}: {layers[item.chosen_layer_id].editor.get_username()}'s version"
    if item.choice == AdjudicationChoice.NONE:
        return f"attribution {item.unit}: none of them"
    return f"attribution {item.unit}: edited"


# --- finishing: the result becomes the article's review -------------------------------------------------------


def adjudication_open_items(review: DoubleReview) -> int:
    return review.items.filter(choice="").count()


def _sentence_at(starts: list[int], sentences: list[Sentence], offset: int | None) -> int | None:
    if offset is None:
        return None
    i = bisect_right(starts, offset) - 1
    return sentences[i].pk if 0 <= i < len(sentences) and sentences[i].start <= offset < sentences[i].end else None


@transaction.atomic
def adjudication_finish(*, article_id: int, user, version: int | None = None) -> Article:
    """Write every item's result into the article's attributions and sentences and mark it reviewed."""
    article = Article.objects.select_for_update().defer("raw").get(pk=article_id)
    review = DoubleReview.objects.select_for_update().get(article_id=article_id)
    if review.stage != DoubleReviewStage.ADJUDICATION or article.state != ArticleState.DOUBLE:
        raise ConflictError("This article is not waiting for adjudication.")
    if version is not None and article.version != version:
        raise StaleVersionError(article, None)
    left = adjudication_open_items(review)
    if left:
        raise ConflictError(f"{left} difference{'s' if left != 1 else ''} not yet settled.")
    now = timezone.now()
    items = list(review.items.order_by("position", "kind", "unit"))
    sentences = list(Sentence.objects.filter(article_id=article_id).order_by("start"))
    starts = [s.start for s in sentences]
    rows = {a.pk: a for a in Attribution.objects.select_for_update().filter(article_id=article_id)}
    befores: dict[int, dict | None] = {}
    claimed: set[int] = set()
    results: list[tuple[AdjudicationItem, Attribution]] = []
    member_to_row: dict[int, Attribution] = {}
    # 1. every attribution item that keeps something gets its row: the proposal it came from, or a new one
    for item in (i for i in items if i.kind == "attribution" and i.values is not None):
        values = item.values
        row = rows.get(item.attribution_id) if item.attribution_id not in claimed else None
        if row is not None and row.review_state == ReviewState.PROPOSED:
            claimed.add(row.pk)
            befores[row.pk] = attribution_snapshot(row)
            unchanged = all(getattr(row, name) == values.get(name) for name in agreement.COMPARED_FIELDS)
            state = ReviewState.CONFIRMED if unchanged else ReviewState.CORRECTED
            row.version += 1  # the rows are locked
        else:
            row, state = Attribution(article_id=article_id, origin=Origin.EDITOR), ReviewState.ADDED
        for name in agreement.COMPARED_FIELDS:
            setattr(row, name, values.get(name))
        offset = row.cue_start if row.cue_start is not None else row.source_start
        row.sentence_id = _sentence_at(starts, sentences, offset)
        row.review_state, row.reviewed_by, row.reviewed_at = state, user, now
        row.speaker_ref_id = None
        row.save()
        results.append((item, row))
        for member in (item.members or {}).values():
            if member is not None:
                member_to_row[member] = row
    # 2. speaker references: the chosen version's reference, to whatever its unit became
    referenced = _layer_speaker_refs([item for item, _row in results])
    for item, row in results:
        ref = referenced.get((item.values or {}).get("from_layer_attribution"))
        target = member_to_row.get(ref) if ref else None
        if target is not None and target.pk != row.pk:
            row.speaker_ref_id = target.pk
            row.save(update_fields=["speaker_ref", "updated_at"])
    # 3. what no item keeps is rejected
    kept = {row.pk for _item, row in results}
    rejected = []
    for row in rows.values():
        if row.pk not in kept and row.review_state == ReviewState.PROPOSED:
            befores[row.pk] = attribution_snapshot(row)
            row.review_state, row.reviewed_by, row.reviewed_at = ReviewState.REJECTED, user, now
            row.version += 1
            rejected.append(row)
    if rejected:
        Attribution.objects.bulk_update(rejected, ["review_state", "reviewed_by", "reviewed_at", "version"])
    events = [
        _event(user, article_id, "attribution", row.pk, befores.get(row.pk), attribution_snapshot(row), now)
        for row in [*(row for _item, row in results), *rejected]
    ]
    # 4. sentence labels
    by_index = {s.index: s for s in sentences}
    changed = []
    for item in (i for i in items if i.kind == "sentence"):
        sentence = by_index.get(item.unit)
        if sentence is None:
            continue
        before = sentence_snapshot(sentence)
        label = (item.values or {}).get("label") or ""
        if label == sentence.proposed_label and sentence.label_origin == Origin.PREPASS:
            state = ReviewState.CONFIRMED
        else:
            state = ReviewState.CORRECTED if sentence.proposed_label else ReviewState.ADDED
        sentence.label, sentence.review_state, sentence.reviewed_by, sentence.reviewed_at = label, state, user, now
        sentence.version += 1
        changed.append(sentence)
        events.append(_event(user, article_id, "sentence", sentence.pk, before, sentence_snapshot(sentence), now))
    if changed:
        Sentence.objects.bulk_update(changed, ["label", "review_state", "reviewed_by", "reviewed_at", "version"])
    Event.objects.bulk_create(events)
    # 5. the article is reviewed, and counts
    before = {"state": article.state, "version": article.version}
    Article.objects.filter(pk=article_id).update(
        state=ArticleState.REVIEWED,
        reviewed_by=user,
        reviewed_at=now,
        assignee=None,
        lease_expires_at=None,
        version=F("version") + 1,
        updated_at=now,
    )
    DoubleReview.objects.filter(pk=review.pk).update(
        stage=DoubleReviewStage.CLOSED, adjudicated_by=user, adjudicated_at=now
    )
    article_counts_refresh(article_ids=[article_id])
    article.refresh_from_db()
    event_record(
        actor=user,
        article_id=article_id,
        object_type="article",
        object_id=article_id,
        action="adjudication_finished",
        before=before,
        after={
            "state": article.state,
            "version": article.version,
            "kept": len(results),
            "rejected": len(rejected),
            "labels": len(changed),
        },
        note="the adjudicated result is the article's review",
    )
    return article


def _layer_speaker_refs(items: list[AdjudicationItem]) -> dict[int, int]:
    """Each chosen layer attribution's speaker reference (a layer attribution id), in one query."""
    ids = [(i.values or {}).get("from_layer_attribution") for i in items]
    ids = [pk for pk in ids if pk]
    if not ids:
        return {}
    return dict(Attribution.objects.filter(pk__in=ids, speaker_ref__isnull=False).values_list("pk", "speaker_ref_id"))


def _event(user, article_id: int, object_type: str, object_id: int, before, after, now) -> Event:
    return Event(
        created_at=now,
        actor=user,
        article_id=article_id,
        object_type=object_type,
        object_id=object_id,
        action="adjudicated",
        before=before,
        after=after,
        note="adjudicated double review",
    )
