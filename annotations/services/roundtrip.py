"""Reading an export back: articles in the Sourcing Desk jsonl format come with their sentences and attributions.

``articles_import`` hands a record that carries ``sentences`` or ``attributions`` to
``article_import_annotated``: the record is checked first (offsets inside the body and
matching their text, known labels and states), then the article and everything an editor
decided are stored in one transaction, exactly as exported, and the pre-pass is not
queued for it. A bad record is an ``ImportProblem`` (file, line, field) and nothing of it
is stored.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotations.importing import ImportProblem, ParsedArticle
from annotations.models import (
    Article,
    ArticleState,
    Attribution,
    Origin,
    Outlet,
    QuoteKind,
    ReviewState,
    Seniority,
    Sentence,
    SentenceLabel,
    SourceType,
    Specificity,
)

from .common import event_record
from .counts import article_counts_refresh
from .imports import article_create

IMPORT_KEY = "_import"  # in Attribution.proposal: the reviewer's name when no such user exists here


class RecordError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


# --- checking a record -----------------------------------------------------------------


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(field, f"must be a whole number, got {value!r}")
    return value


def _choice(value: Any, choices: Sequence[str], field: str, *, blank: bool = True) -> str:
    value = "" if value is None and blank else value
    if value == "" and blank:
        return ""
    if value not in choices:
        raise RecordError(field, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _confidence(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise RecordError(field, f"must be a number from 0 to 1, got {value!r}")
    return float(value)


def _when(value: Any, field: str) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise RecordError(field, f"not an ISO datetime: {value!r}")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def _span(value: Any, body: str, field: str) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        raise RecordError(field, f"must be an object with start and end, got {type(value).__name__}")
    start, end = _int(value.get("start"), f"{field}.start"), _int(value.get("end"), f"{field}.end")
    if not 0 <= start < end <= len(body):
        raise RecordError(field, f"span [{start}, {end}) is not inside the text (0–{len(body)})")
    text = value.get("text")
    if text is not None and text != body[start:end]:
        raise RecordError(f"{field}.text", f"{text!r} is not the text at [{start}, {end}): {body[start:end]!r}")
    return start, end


def _check_sentences(items: Any, body: str) -> list[dict]:
    if not isinstance(items, list):
        raise RecordError("sentences", "must be a list")
    out, seen = [], set()
    for n, item in enumerate(items):
        where = f"sentences[{n}]"
        if not isinstance(item, Mapping):
            raise RecordError(where, "must be an object")
        index = _int(item.get("index", n), f"{where}.index")
        if index in seen or index < 0:
            raise RecordError(f"{where}.index", f"index {index} is repeated or negative")
        seen.add(index)
        start, end = _span(item, body, where)
        out.append(
            {
                "index": index,
                "start": start,
                "end": end,
                "label": _choice(item.get("label"), SentenceLabel.values, f"{where}.label"),
                "proposed_label": _choice(item.get("proposed_label"), SentenceLabel.values, f"{where}.proposed_label"),
                "label_origin": _choice(
                    item.get("label_origin") or Origin.PREPASS, Origin.values, f"{where}.label_origin"
                ),
                "review_state": _choice(
                    item.get("review_state") or ReviewState.PROPOSED, ReviewState.values, f"{where}.review_state"
                ),
                "reviewed_by": item.get("reviewed_by") or None,
                "reviewed_at": _when(item.get("reviewed_at"), f"{where}.reviewed_at"),
                "pipeline": str(item.get("pipeline") or "")[:100],
                "pipeline_version": str(item.get("pipeline_version") or "")[:50],
                "confidence": _confidence(item.get("confidence"), f"{where}.confidence"),
            }
        )
    return out


def _check_attributions(items: Any, body: str, sentence_indexes: set[int]) -> list[dict]:
    if not isinstance(items, list):
        raise RecordError("attributions", "must be a list")
    out = []
    for n, item in enumerate(items):
        where = f"attributions[{n}]"
        if not isinstance(item, Mapping):
            raise RecordError(where, "must be an object")
        source_type = _choice(item.get("source_type"), SourceType.values, f"{where}.source_type", blank=False)
        fields: dict[str, Any] = {"source_type": source_type}
        for role in ("source", "cue", "content"):
            fields[f"{role}_start"], fields[f"{role}_end"] = _span(item.get(role), body, f"{where}.{role}")
        if fields["source_start"] is None and fields["cue_start"] is None:
            raise RecordError(f"{where}.cue", "an attribution needs a source or a cue span")
        anonymity = item.get("anonymity")
        if anonymity and source_type != SourceType.ANONYMOUS:
            raise RecordError(f"{where}.anonymity", "only an anonymous source has anonymity fields")
        anonymity = anonymity or {}
        if not isinstance(anonymity, Mapping):
            raise RecordError(f"{where}.anonymity", "must be an object")
        number = str(anonymity.get("number") or "")
        if number and number not in ("one", "several") and not number.isdigit():
            raise RecordError(f"{where}.anonymity.number", f"{number!r} is not one, several or a whole number")
        js, je = _span(anonymity.get("justification"), body, f"{where}.anonymity.justification")
        fields |= {
            "quote_kind": _choice(item.get("quote_kind"), QuoteKind.values, f"{where}.quote_kind"),
            "via": str(item.get("via") or "")[:200],
            "anon_descriptor": str(anonymity.get("descriptor") or "")[:200],
            "anon_seniority": _choice(anonymity.get("seniority"), Seniority.values, f"{where}.anonymity.seniority"),
            "anon_number": number,
            "anon_justification_start": js,
            "anon_justification_end": je,
            "anon_specificity": _choice(
                anonymity.get("specificity"), Specificity.values, f"{where}.anonymity.specificity"
            ),
            "origin": _choice(item.get("origin") or Origin.PREPASS, Origin.values, f"{where}.origin"),
            "pipeline": str(item.get("pipeline") or "")[:100],
            "pipeline_version": str(item.get("pipeline_version") or "")[:50],
            "confidence": _confidence(item.get("confidence"), f"{where}.confidence"),
            "review_state": _choice(
                item.get("review_state") or ReviewState.PROPOSED, ReviewState.values, f"{where}.review_state"
            ),
            "reviewed_at": _when(item.get("reviewed_at"), f"{where}.reviewed_at"),
        }
        ref = item.get("speaker_ref")
        if ref is not None and (_int(ref, f"{where}.speaker_ref") < 0 or ref >= len(items) or ref == n):
            raise RecordError(f"{where}.speaker_ref", f"{ref} is not the index of another attribution")
        sentence = item.get("sentence")
        if sentence is not None and _int(sentence, f"{where}.sentence") not in sentence_indexes:
            raise RecordError(f"{where}.sentence", f"there is no sentence {sentence}")
        out.append(
            {
                "fields": fields,
                "speaker_ref": ref,
                "sentence": sentence,
                "reviewed_by": item.get("reviewed_by") or None,
                "proposal": item.get("proposal"),
            }
        )
    return out


def check_annotations(*, body: str, sentences: Any, attributions: Any) -> tuple[list[dict], list[dict]]:
    """The record's sentences and attributions, checked and normalised; raises RecordError(field, message)."""
    checked_sentences = _check_sentences(sentences if sentences is not None else [], body)
    indexes = {s["index"] for s in checked_sentences}
    return checked_sentences, _check_attributions(attributions if attributions is not None else [], body, indexes)


# --- storing ---------------------------------------------------------------------------------


def _proposal(proposal: Any, reviewer: str | None, found: bool) -> Any:
    if reviewer is None or found:
        return proposal
    meta: dict[str, Any] = {"reviewed_by": reviewer}
    if proposal is None:
        meta["proposal_was_null"] = True
        return {IMPORT_KEY: meta}
    if not isinstance(proposal, dict):
        meta["proposal_value"] = proposal
        return {IMPORT_KEY: meta}
    return {**proposal, IMPORT_KEY: meta}


def article_restore_annotations(
    *,
    article: Article,
    sentences: Sequence[Mapping[str, Any]],
    attributions: Sequence[Mapping[str, Any]],
    user,
    article_fields: Mapping[str, Any] | None = None,
) -> Article:
    """Store an imported record's sentences and attributions exactly (reviews included); leaves an Event.

    Reviewers are matched by username; one that does not exist here is stored as no one, its name kept in the
    attribution's ``proposal`` (under ``_import``) and in the Event. ``article_fields`` (state, reviewed_by,
    reviewed_at, pipeline, pipeline_version) come from the record; an article with sentences is never left
    in the ``imported`` state, so the pre-pass does not take it.
    """
    checked_sentences, checked_attributions = check_annotations(
        body=article.body, sentences=list(sentences), attributions=list(attributions)
    )
    article_fields = dict(article_fields or {})
    names = {s["reviewed_by"] for s in checked_sentences} | {a["reviewed_by"] for a in checked_attributions}
    names.add(article_fields.get("reviewed_by"))
    names.discard(None)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)} if names else {}
    missing: dict[str, str] = {}
    with transaction.atomic():
        rows = [
            Sentence(
                article=article,
                **{k: v for k, v in s.items() if k != "reviewed_by"},
                reviewed_by=users.get(s["reviewed_by"]) if s["reviewed_by"] else None,
            )
            for s in checked_sentences
        ]
        for s in checked_sentences:
            if s["reviewed_by"] and s["reviewed_by"] not in users:
                missing[f"sentence {s['index']}"] = s["reviewed_by"]
        Sentence.objects.bulk_create(rows)
        by_index = {row.index: row for row in rows}
        attribution_rows = []
        for n, a in enumerate(checked_attributions):
            reviewer = a["reviewed_by"]
            if reviewer and reviewer not in users:
                missing[f"attribution {n}"] = reviewer
            attribution_rows.append(
                Attribution(
                    article=article,
                    sentence=by_index.get(a["sentence"]) if a["sentence"] is not None else None,
                    reviewed_by=users.get(reviewer) if reviewer else None,
                    proposal=_proposal(a["proposal"], reviewer, reviewer in users),
                    **a["fields"],
                )
            )
        Attribution.objects.bulk_create(attribution_rows)
        linked = []
        for row, a in zip(attribution_rows, checked_attributions, strict=True):
            if a["speaker_ref"] is not None:
                row.speaker_ref = attribution_rows[a["speaker_ref"]]
                linked.append(row)
        if linked:
            Attribution.objects.bulk_update(linked, ["speaker_ref"])
        state = article_fields.get("state") or ArticleState.REVIEWED
        if state not in ArticleState.values:
            raise RecordError("state", f"{state!r} is not one of {', '.join(ArticleState.values)}")
        if state == ArticleState.IMPORTED and rows:
            state = ArticleState.PREPASSED
        reviewer = article_fields.get("reviewed_by")
        if reviewer and reviewer not in users:
            missing["article"] = reviewer
        updates = {
            "state": state,
            "reviewed_by": users.get(reviewer) if reviewer else None,
            "reviewed_at": _when(article_fields.get("reviewed_at"), "reviewed_at"),
            "pipeline": str(article_fields.get("pipeline") or "")[:100],
            "pipeline_version": str(article_fields.get("pipeline_version") or "")[:50],
            "processed_at": timezone.now() if rows else None,
        }
        Article.objects.filter(pk=article.pk).update(**updates, updated_at=timezone.now())
        article_counts_refresh(article_ids=[article.pk])
        for name, value in updates.items():
            setattr(article, name, value)
        event_record(
            actor=user,
            article_id=article.pk,
            object_type="article",
            object_id=article.pk,
            action="restore",
            after={
                "state": state,
                "sentences": len(rows),
                "attributions": len(attribution_rows),
                "reviewers_not_found": missing,
            },
            note="sentences and attributions restored from an export",
        )
    return article


def _where(parsed: ParsedArticle) -> tuple[str, int | None]:
    name, _, line = parsed.source_name.rpartition(":")
    return (name, int(line)) if line.isdigit() else (parsed.source_name, None)


def article_import_annotated(*, parsed: ParsedArticle, outlet: Outlet, user=None) -> Article | ImportProblem | None:
    """Store an exported article with its annotations, all or nothing; None when it is a duplicate."""
    name, line = _where(parsed)
    record: dict = dict(parsed.extra)
    if parsed.source_format == "jsonl":
        try:
            record = json.loads(parsed.raw)
        except ValueError:  # raw is always the JSON line; keep the parsed fields if not
            record = dict(parsed.extra)
    body = record.get("text") if isinstance(record.get("text"), str) else parsed.body
    removed = record.get("removed_lines")
    exact = dataclasses.replace(
        parsed,
        body=body,
        title=str(record.get("title") or ""),
        byline=str(record.get("byline") or ""),
        url=str(record.get("url") or ""),
        removed_lines=removed if isinstance(removed, list) else parsed.removed_lines,
    )
    try:
        check_annotations(body=body, sentences=record.get("sentences"), attributions=record.get("attributions"))
        state = record.get("state") or ArticleState.REVIEWED
        if state not in ArticleState.values:
            raise RecordError("state", f"{state!r} is not one of {', '.join(ArticleState.values)}")
        with transaction.atomic():
            article = article_create(parsed=exact, outlet=outlet, user=user)
            if article is None:
                return None
            article_restore_annotations(
                article=article,
                sentences=record.get("sentences") or [],
                attributions=record.get("attributions") or [],
                user=user,
                article_fields={
                    k: record.get(k) for k in ("state", "reviewed_by", "reviewed_at", "pipeline", "pipeline_version")
                },
            )
    except RecordError as exc:
        return ImportProblem(name, line, exc.field, str(exc))
    return article
