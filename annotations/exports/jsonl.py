"""The Sourcing Desk format: one article per line, everything an editor decided (docs/jsonl-schema.json).

``import_articles`` reads it back: the record's ``text`` is the clean body every offset
points into; ``sentences`` and ``attributions`` are restored exactly
(``services.article_restore_annotations``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from annotations.models import Attribution, Sentence

from .base import Record, iso, username

FORMAT_NAME = "sourcing-desk/1"
IMPORT_KEY = "_import"  # kept in Attribution.proposal by a restore: the reviewer's name when no such user exists


def span(body: str, start: int | None, end: int | None) -> dict | None:
    if start is None or end is None:
        return None
    return {"start": start, "end": end, "text": body[start:end]}


def attribution_reviewer(attribution: Attribution, names) -> str | None:
    if attribution.reviewed_by_id is not None:
        return names(attribution.reviewed_by_id)
    meta = (attribution.proposal or {}).get(IMPORT_KEY) if isinstance(attribution.proposal, dict) else None
    return meta.get("reviewed_by") if meta else None


def attribution_proposal(attribution: Attribution):
    proposal = attribution.proposal
    if isinstance(proposal, dict) and IMPORT_KEY in proposal:
        meta = proposal[IMPORT_KEY]
        if meta.get("proposal_was_null"):
            return None
        if "proposal_value" in meta:
            return meta["proposal_value"]
        return {k: v for k, v in proposal.items() if k != IMPORT_KEY}
    return proposal


def sentence_dict(record: Record, sentence: Sentence) -> dict:
    body = record.body
    return {
        "index": sentence.index,
        "start": sentence.start,
        "end": sentence.end,
        "text": body[sentence.start : sentence.end],
        "label": sentence.label,
        "proposed_label": sentence.proposed_label,
        "label_origin": sentence.label_origin,
        "review_state": sentence.review_state,
        "reviewed_by": record.user(sentence.reviewed_by_id),
        "reviewed_at": iso(sentence.reviewed_at),
        "pipeline": sentence.pipeline,
        "pipeline_version": sentence.pipeline_version,
        "confidence": sentence.confidence,
    }


def attribution_dict(record: Record, index: int, a: Attribution) -> dict:
    body = record.body
    anonymity = None
    if a.source_type == "anonymous":
        anonymity = {
            "descriptor": a.anon_descriptor,
            "seniority": a.anon_seniority,
            "number": a.anon_number,
            "justification": span(body, a.anon_justification_start, a.anon_justification_end),
            "specificity": a.anon_specificity,
        }
    return {
        "index": index,
        "id": a.pk,
        "source_type": a.source_type,
        "source": span(body, a.source_start, a.source_end),
        "cue": span(body, a.cue_start, a.cue_end),
        "content": span(body, a.content_start, a.content_end),
        "quote_kind": a.quote_kind,
        "via": a.via,
        "anonymity": anonymity,
        "speaker_ref": record.index_of.get(a.speaker_ref_id) if a.speaker_ref_id else None,
        "sentence": record.sentence_index(a.sentence_id),
        "origin": a.origin,
        "pipeline": a.pipeline,
        "pipeline_version": a.pipeline_version,
        "confidence": a.confidence,
        "proposal": attribution_proposal(a),
        "review_state": a.review_state,
        "reviewed_by": attribution_reviewer(a, record.user),
        "reviewed_at": iso(a.reviewed_at),
        "created_at": iso(a.created_at),
    }


def record_dict(record: Record, *, includes_unreviewed: bool) -> dict:
    article = record.article
    data = {
        "format": FORMAT_NAME,
        "id": article.external_id or str(article.pk),
        "article_id": article.pk,
        "outlet": article.outlet.name,
        "title": article.title,
        "url": article.url,
        "published": iso(article.published),
        "byline": article.byline,
        "text": article.body,
        "removed_lines": article.removed_lines,
        "state": article.state,
        "reviewed": article.state == "reviewed",
        "includes_unreviewed": includes_unreviewed,
        "reviewed_by": username(article.reviewed_by),
        "reviewed_at": iso(article.reviewed_at),
        "pipeline": article.pipeline,
        "pipeline_version": article.pipeline_version,
        "sentences": [sentence_dict(record, s) for s in record.sentences],
        "attributions": [attribution_dict(record, i, a) for i, a in enumerate(record.attributions)],
    }
    if record.layers is not None:  # asked for: each editor's own review of a double-reviewed article (issue 15)
        data["layers"] = [layer_dict(layer) for layer in record.layers]
    return data


def layer_dict(layer) -> dict:
    """One editor's layer (``exports.layers.LayerRecord``): who, when, and their sentences and attributions in the
    article's own format (offsets into the same ``text``; ``speaker_ref`` and ``sentence`` index this layer's lists)."""
    return {
        "annotator": layer.annotator,
        "position": layer.position,
        "submitted_at": iso(layer.submitted_at),
        "sentences": [sentence_dict(layer.record, s) for s in layer.record.sentences],
        "attributions": [attribution_dict(layer.record, i, a) for i, a in enumerate(layer.record.attributions)],
    }


def export_jsonl(records: Iterable[Record], *, includes_unreviewed: bool = False) -> Iterator[bytes]:
    for record in records:
        line = json.dumps(record_dict(record, includes_unreviewed=includes_unreviewed), ensure_ascii=False)
        yield (line + "\n").encode("utf-8")
