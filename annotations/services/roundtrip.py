"""Reading an export back: articles in the Sourcing Desk jsonl format come with their sentences and attributions.

``articles_import`` hands a record that carries ``sentences`` or ``attributions`` to
``article_import_annotated``: the record is checked first (offsets inside the body and
matching their text, known labels and states), then the article, its sentences and
attributions are stored in one transaction and the pre-pass is not queued for it. A bad
record is an ``ImportProblem`` (file, line, field) and nothing of it is stored.

A file cannot vouch for a review: the decisions it carries (review states, the article's
``reviewed`` state) are restored only for a standards editor who imports it, and as made
by that editor at the time of the import. The reviewers and times the file names are kept
as provenance in the ``restore`` event, never as the reviewer of anything here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotations.import_checks import ImportProblem, ParsedArticle, clip
from annotations.models import (
    Article,
    ArticleState,
    Attribution,
    Outlet,
    ReviewState,
    Sentence,
)
from annotations.roles import is_standards
from annotations.roundtrip_checks import RecordError, check_annotations, check_name, check_when

from .common import event_record
from .counts import article_counts_refresh
from .imports import article_create, where

# --- storing ---------------------------------------------------------------------------------


def _decided(item: Mapping[str, Any]) -> bool:
    return item["review_state"] != ReviewState.PROPOSED or item["reviewed_by"] is not None


def _as_in_file(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "review_state": item["review_state"],
        "reviewed_by": item["reviewed_by"],
        "reviewed_at": item["reviewed_at"].isoformat() if item["reviewed_at"] else None,
    }


# the states a record may restore: a double review (issue 15) does not travel in a file, so an article exported while
# in double review comes back pre-passed (its proposals untouched), and an editor's layer is never an article
RESTORABLE_STATES = tuple(s for s in ArticleState.values if s not in (ArticleState.DOUBLE, ArticleState.LAYER))


def _restorable_state(state: Any) -> str:
    if state == ArticleState.DOUBLE:
        return ArticleState.PREPASSED
    if not isinstance(state, str) or state not in RESTORABLE_STATES:
        raise RecordError("state", f"{clip(state)} is not one of {', '.join(RESTORABLE_STATES)}")
    return state


def article_restore_annotations(
    *,
    article: Article,
    sentences: Sequence[Mapping[str, Any]],
    attributions: Sequence[Mapping[str, Any]],
    user,
    article_fields: Mapping[str, Any] | None = None,
) -> Article:
    """Store an imported record's sentences and attributions; leaves a ``restore`` Event.

    Spans, labels, types and review states are stored as the record gives them, but no decision is taken
    on a file's word: every decided item (and a ``reviewed`` article) is recorded as decided by ``user`` (who
    must be a standards editor; otherwise ``RecordError``) at the time of the import. The reviewers and times
    the record names are kept in the Event (``after["decisions_in_file"]``), not stored as anyone's review.
    ``article_fields`` (state, reviewed_by, reviewed_at, pipeline, pipeline_version) come from the record; an
    article with sentences is never left in the ``imported`` state, so the pre-pass does not take it.
    """
    checked_sentences, checked_attributions = check_annotations(
        body=article.body, sentences=list(sentences), attributions=list(attributions)
    )
    article_fields = dict(article_fields or {})
    state = _restorable_state(article_fields.get("state") or ArticleState.REVIEWED)
    in_file: dict[str, dict] = {}
    for s in checked_sentences:
        if _decided(s):
            in_file[f"sentences[{s['index']}]"] = _as_in_file(s)
    for n, a in enumerate(checked_attributions):
        decision = {"reviewed_by": a["reviewed_by"], **{k: a["fields"][k] for k in ("review_state", "reviewed_at")}}
        if _decided(decision):
            in_file[f"attributions[{n}]"] = _as_in_file(decision)
    file_reviewer = check_name(article_fields.get("reviewed_by"), "reviewed_by")
    file_reviewed_at = check_when(article_fields.get("reviewed_at"), "reviewed_at")
    if state == ArticleState.REVIEWED or file_reviewer:
        in_file["article"] = {
            "state": state,
            "reviewed_by": file_reviewer,
            "reviewed_at": file_reviewed_at.isoformat() if file_reviewed_at else None,
        }
    if in_file and not is_standards(user):
        if "article" in in_file:
            field = "state" if state == ArticleState.REVIEWED else "reviewed_by"
        else:
            field = f"{next(iter(in_file))}.review_state"
        raise RecordError(
            field,
            "the record carries review decisions; only a standards editor can restore them, as decided by "
            "themselves (on the command line: import_articles --user NAME of a standards editor)",
        )
    now = timezone.now()
    with transaction.atomic():
        rows = []
        for s in checked_sentences:
            decided = _decided(s)
            fields = {k: v for k, v in s.items() if k not in ("reviewed_by", "reviewed_at")}
            rows.append(
                Sentence(
                    article=article,
                    **fields,
                    reviewed_by=user if decided else None,
                    reviewed_at=now if decided else None,
                )
            )
        Sentence.objects.bulk_create(rows)
        by_index = {row.index: row for row in rows}
        attribution_rows = []
        for n, a in enumerate(checked_attributions):
            decided = f"attributions[{n}]" in in_file
            fields = {**a["fields"], "reviewed_at": now if decided else None}
            attribution_rows.append(
                Attribution(
                    article=article,
                    sentence=by_index.get(a["sentence"]) if a["sentence"] is not None else None,
                    reviewed_by=user if decided else None,
                    proposal=a["proposal"],
                    **fields,
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
        if state == ArticleState.IMPORTED and rows:
            state = ArticleState.PREPASSED
        reviewed = state == ArticleState.REVIEWED
        updates = {
            "state": state,
            "reviewed_by": user if reviewed else None,
            "reviewed_at": now if reviewed else None,
            "pipeline": str(article_fields.get("pipeline") or "")[:100],
            "pipeline_version": str(article_fields.get("pipeline_version") or "")[:50],
            "processed_at": now if rows else None,
        }
        Article.objects.filter(pk=article.pk).update(**updates, updated_at=now)
        article_counts_refresh(article_ids=[article.pk])
        for name, value in updates.items():
            setattr(article, name, value)
        decided_by = user.get_username() if in_file else None
        note = "sentences and attributions restored from an export"
        if in_file:
            names = sorted({d["reviewed_by"] for d in in_file.values() if d.get("reviewed_by")})
            note += f"; {len(in_file)} decision(s) recorded as made by {decided_by}, who imported them" + (
                f" (the file names {', '.join(names)})" if names else ""
            )
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
                "decided_by": decided_by,
                "decisions_in_file": in_file,
            },
            note=note,
        )
    return article


def article_import_annotated(
    *, parsed: ParsedArticle, outlet: Outlet, user=None, batch: str = ""
) -> Article | ImportProblem | None:
    """Store an exported article with its annotations, all or nothing; None when it is a duplicate."""
    name, line = where(parsed)
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
        _restorable_state(record.get("state") or ArticleState.REVIEWED)
        with transaction.atomic():
            article = article_create(parsed=exact, outlet=outlet, user=user, batch=batch)
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
