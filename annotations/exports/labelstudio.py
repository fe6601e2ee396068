"""Label Studio JSON tasks (a JSON list), for the labeling config in docs/labelstudio-config.xml.

Each task: ``data`` (``text`` and ``meta``), editors' work as ``annotations`` (the
attributions an editor confirmed, corrected or added, and the sentence labels an editor
set) and untouched pre-pass output as ``predictions`` (``model_version``, ``score``).
Regions are ``labels`` results on the ``text`` object (``from_name`` "label" for
source/cue/content spans, "sentence" for sentence labels); the links source → cue and
cue → content are ``relation`` results.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from annotations.models import ReviewState

from .base import Record, article_meta, iso, username
from .spans import REL_CUE_CONTENT, REL_SOURCE_CUE, ROLES, role_label

FROM_SPANS = "label"
FROM_SENTENCES = "sentence"
TO_NAME = "text"


def _region(region_id: str, from_name: str, body: str, start: int, end: int, label: str) -> dict:
    return {
        "id": region_id,
        "from_name": from_name,
        "to_name": TO_NAME,
        "type": "labels",
        "value": {"start": start, "end": end, "text": body[start:end], "labels": [label]},
    }


def _relation(from_id: str, to_id: str, label: str) -> dict:
    return {"type": "relation", "from_id": from_id, "to_id": to_id, "direction": "right", "labels": [label]}


def _results(record: Record, attributions: list[tuple[int, object]], sentences: list) -> list[dict]:
    body = record.body
    out: list[dict] = []
    for i, a in attributions:
        ids = {}
        for role in ROLES:
            span = a.span(role)
            if span is None:
                continue
            ids[role] = f"a{i}-{role}"
            region = _region(ids[role], FROM_SPANS, body, span[0], span[1], role_label(a, role))
            region["meta"] = {"text": [f"attribution {i}; {a.source_type}; {a.review_state}"]}
            out.append(region)
        if "source" in ids and "cue" in ids:
            out.append(_relation(ids["source"], ids["cue"], REL_SOURCE_CUE))
        if "cue" in ids and "content" in ids:
            out.append(_relation(ids["cue"], ids["content"], REL_CUE_CONTENT))
    for s in sentences:
        if s.label:
            out.append(_region(f"s{s.index}", FROM_SENTENCES, body, s.start, s.end, s.label))
    return out


def labelstudio_task(record: Record, *, includes_unreviewed: bool = False) -> dict:
    article = record.article
    live = list(enumerate(record.live))
    decided = [(i, a) for i, a in live if a.review_state != ReviewState.PROPOSED]
    proposed = [(i, a) for i, a in live if a.review_state == ReviewState.PROPOSED]
    decided_sentences = [s for s in record.sentences if s.review_state != ReviewState.PROPOSED]
    proposed_sentences = [s for s in record.sentences if s.review_state == ReviewState.PROPOSED]
    task: dict = {
        "data": {
            "text": article.body,
            "meta": article_meta(article, includes_unreviewed=includes_unreviewed),
        },
        "annotations": [],
        "predictions": [],
    }
    # An article an editor reviewed is one annotation: what stands after the review (all live attributions).
    if article.state == "reviewed" or decided or decided_sentences:
        reviewed = article.state == "reviewed"
        task["annotations"].append(
            {
                "result": _results(
                    record, live if reviewed else decided, record.sentences if reviewed else decided_sentences
                ),
                "completed_by": username(article.reviewed_by),
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": iso(article.reviewed_at),
            }
        )
    if record.layers:  # each editor's own review of a double-reviewed article, one annotation each (issue 15)
        for annotation in task["annotations"]:
            annotation["ground_truth"] = article.state == "reviewed"  # the adjudicated result
        for layer in record.layers:
            mine = layer.record
            task["annotations"].append(
                {
                    "result": _results(mine, list(enumerate(mine.live)), mine.sentences),
                    "completed_by": layer.annotator,
                    "was_cancelled": False,
                    "ground_truth": False,
                    "created_at": iso(layer.submitted_at),
                }
            )
    if proposed or proposed_sentences:
        scores = [a.confidence for _, a in proposed if a.confidence is not None]
        model = next((f"{a.pipeline} {a.pipeline_version}".strip() for _, a in proposed if a.pipeline), "")
        prediction = {
            "model_version": model or f"{article.pipeline} {article.pipeline_version}".strip() or "prepass",
            "score": round(sum(scores) / len(scores), 4) if scores else 0.0,
            "result": _results(record, proposed, proposed_sentences),
        }
        task["predictions"].append(prediction)
    return task


def export_labelstudio(records: Iterable[Record], *, includes_unreviewed: bool = False) -> Iterator[bytes]:
    """A JSON list, written one task at a time."""
    yield b"["
    first = True
    for record in records:
        task = labelstudio_task(record, includes_unreviewed=includes_unreviewed)
        yield (("\n" if first else ",\n") + json.dumps(task, ensure_ascii=False)).encode("utf-8")
        first = False
    yield b"\n]\n"
