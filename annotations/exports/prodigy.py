"""Prodigy's span + relation task format, one task per article.

Tokens come from spaCy's rule-based English tokenizer; spans are aligned to tokens
(``token_end`` is inclusive, as in Prodigy). Hashes follow Prodigy's ``set_hashes``
semantics: ``_input_hash`` = murmurhash of the JSON of the input keys (``text``),
``_task_hash`` = murmurhash of the input hash followed by the JSON of the task keys
(``spans``, ``relations``), both serialised with sorted keys: the same text always
has the same input hash, the same annotations on it the same task hash.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

import murmurhash

from .base import Record, article_meta
from .spans import REL_CUE_CONTENT, REL_SOURCE_CUE, ROLES, Tokenizer, labelled_spans, tokenizer

INPUT_KEYS = ("text",)
TASK_KEYS = ("spans", "relations")


def _hash(task: dict, keys: tuple[str, ...], prefix: str = "") -> int:
    values = {key: task[key] for key in keys if key in task}
    return murmurhash.hash(prefix + json.dumps(values, sort_keys=True, ensure_ascii=False))


def set_hashes(task: dict) -> dict:
    task["_input_hash"] = _hash(task, INPUT_KEYS)
    task["_task_hash"] = _hash(task, TASK_KEYS, prefix=str(task["_input_hash"]))
    return task


def tokens_of(doc) -> list[dict]:
    return [
        {"text": t.text, "start": t.idx, "end": t.idx + len(t.text), "id": t.i, "ws": bool(t.whitespace_)} for t in doc
    ]


def _span_dict(span, label: str) -> dict:
    return {
        "start": span.start_char,
        "end": span.end_char,
        "token_start": span.start,
        "token_end": span.end - 1,  # inclusive
        "label": label,
    }


def prodigy_task(record: Record, *, includes_unreviewed: bool = False, nlp: Tokenizer | None = None) -> dict:
    article = record.article
    doc = (nlp or tokenizer()).make_doc(article.body)
    spans: dict[tuple[int, int, str], dict] = {}
    by_attribution: dict[int, dict[str, dict]] = {}
    for item in labelled_spans(record):
        aligned = doc.char_span(item.start, item.end, alignment_mode="expand")
        if aligned is None or len(aligned) == 0:
            continue
        span = _span_dict(aligned, item.label)
        spans.setdefault((span["start"], span["end"], item.label), span)
        by_attribution.setdefault(item.attribution, {})[item.role] = span
    relations: list[dict] = []
    seen: set[tuple] = set()
    for roles in by_attribution.values():
        for head_role, child_role, label in (("source", "cue", REL_SOURCE_CUE), ("cue", "content", REL_CUE_CONTENT)):
            head, child = roles.get(head_role), roles.get(child_role)
            if head is None or child is None:
                continue
            key = (head["start"], head["end"], child["start"], child["end"], label)
            if key in seen:
                continue
            seen.add(key)
            relations.append(
                {"head": head["token_end"], "child": child["token_end"], "head_span": head, "child_span": child,
                 "label": label}
            )  # fmt: skip
    live = record.live
    task = {
        "text": article.body,
        "meta": article_meta(article, includes_unreviewed=includes_unreviewed),
        "tokens": tokens_of(doc),
        "spans": sorted(spans.values(), key=lambda s: (s["start"], s["end"], s["label"])),
        "relations": relations,
        "answer": "accept",
        # fields Prodigy keeps but does not display: each attribution in full, and the sentences
        "attributions": [
            {
                "source_type": a.source_type,
                **{role: by_attribution.get(i, {}).get(role) for role in ROLES},
                "quote_kind": a.quote_kind,
                "via": a.via,
                "anonymity": (
                    {
                        "descriptor": a.anon_descriptor,
                        "seniority": a.anon_seniority,
                        "number": a.anon_number,
                        "justification": a.span("anon_justification"),
                        "specificity": a.anon_specificity,
                    }
                    if a.source_type == "anonymous"
                    else None
                ),
                "review_state": a.review_state,
                "origin": a.origin,
                "confidence": a.confidence,
            }
            for i, a in enumerate(live)
        ],
        "sentences": [
            {"start": s.start, "end": s.end, "label": s.label, "review_state": s.review_state} for s in record.sentences
        ],
    }
    return set_hashes(task)


def export_prodigy(records: Iterable[Record], *, includes_unreviewed: bool = False) -> Iterator[bytes]:
    nlp = Tokenizer()
    for record in records:
        task = prodigy_task(record, includes_unreviewed=includes_unreviewed, nlp=nlp)
        yield (json.dumps(task, ensure_ascii=False) + "\n").encode("utf-8")
