"""Checking a record of the Sourcing Desk jsonl format before it is restored (no ORM): sentences and attributions
inside the body and matching their text, known labels, states and types, sane numbers, names and times.

A bad value raises ``RecordError`` naming its field (e.g. ``attributions[2].source_start``);
``services.roundtrip`` turns it into an ``ImportProblem`` with the file and line, and stores nothing of the record.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotations.exports.jsonl import IMPORT_KEY  # meta-data of an earlier restore: never taken from a file
from annotations.import_checks import clip
from annotations.models import (
    Origin,
    QuoteKind,
    ReviewState,
    Seniority,
    SentenceLabel,
    SourceType,
    Specificity,
)

MAX_INDEX = 2**31 - 1
NAME_MAX = 150  # a username


class RecordError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


# --- checking a record -----------------------------------------------------------------


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(field, f"must be a whole number, got {clip(value)}")
    if not -MAX_INDEX <= value <= MAX_INDEX:
        raise RecordError(field, f"{clip(value)} is out of range")
    return value


def check_name(value: Any, field: str) -> str | None:
    """A reviewer's name as the file gives it (provenance only)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > NAME_MAX:
        raise RecordError(field, f"must be a username (text of at most {NAME_MAX} characters), got {clip(value)}")
    return value


def _choice(value: Any, choices: Sequence[str], field: str, *, blank: bool = True) -> str:
    value = "" if value is None and blank else value
    if value == "" and blank:
        return ""
    if not isinstance(value, str) or value not in choices:
        raise RecordError(field, f"{clip(value)} is not one of {', '.join(choices)}")
    return value


def _confidence(value: Any, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise RecordError(field, f"must be a number from 0 to 1, got {clip(value)}")
    return float(value)


def check_when(value: Any, field: str) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, datetime.UTC)
        if parsed is not None:
            parsed.astimezone(datetime.UTC)  # a time the database cannot hold (year 1 before UTC) fails here
    except (ValueError, OverflowError) as exc:  # well formed but impossible: 2026-02-30, hour 25
        raise RecordError(field, f"not a possible date and time: {clip(value)} ({exc})") from None
    if parsed is None:
        raise RecordError(field, f"not an ISO datetime: {clip(value)}")
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
        raise RecordError(f"{field}.text", f"{clip(text)} is not the text at [{start}, {end}): {clip(body[start:end])}")
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
                "reviewed_by": check_name(item.get("reviewed_by"), f"{where}.reviewed_by"),
                "reviewed_at": check_when(item.get("reviewed_at"), f"{where}.reviewed_at"),
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
        whole = number.isascii() and number.isdigit() and len(number) <= 10
        if number and number not in ("one", "several") and not whole:
            raise RecordError(f"{where}.anonymity.number", f"{clip(number)} is not one, several or a whole number")
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
            "reviewed_at": check_when(item.get("reviewed_at"), f"{where}.reviewed_at"),
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
                "reviewed_by": check_name(item.get("reviewed_by"), f"{where}.reviewed_by"),
                "proposal": _proposal(item.get("proposal")),
            }
        )
    return out


def check_annotations(*, body: str, sentences: Any, attributions: Any) -> tuple[list[dict], list[dict]]:
    """The record's sentences and attributions, checked and normalised; raises RecordError(field, message)."""
    checked_sentences = _check_sentences(sentences if sentences is not None else [], body)
    indexes = {s["index"] for s in checked_sentences}
    return checked_sentences, _check_attributions(attributions if attributions is not None else [], body, indexes)


def _proposal(proposal: Any) -> Any:
    """The proposal as the file gives it, less an ``_import`` key (our own meta-data, never a file's)."""
    if isinstance(proposal, dict) and IMPORT_KEY in proposal:
        return {k: v for k, v in proposal.items() if k != IMPORT_KEY}
    return proposal
