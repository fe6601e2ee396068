"""CSV: one row per attribution (article fields, span texts and offsets), and a second file of sentences.

Cells a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) are neutralised with a leading single quote. For a download both
files come in one zip (``attributions.csv``, ``sentences.csv``).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from .base import Record, iso, username
from .jsonl import attribution_reviewer
from .zipstream import Sink, member, open_zip

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

ARTICLE_COLUMNS = ["article_id", "outlet", "title", "url", "published", "article_state", "article_reviewed_by"]
ATTRIBUTION_COLUMNS = [
    *ARTICLE_COLUMNS,
    "attribution",
    "source_type",
    "source_text",
    "source_start",
    "source_end",
    "cue_text",
    "cue_start",
    "cue_end",
    "content_text",
    "content_start",
    "content_end",
    "quote_kind",
    "via",
    "anon_descriptor",
    "anon_seniority",
    "anon_number",
    "anon_justification_text",
    "anon_specificity",
    "speaker_ref",
    "sentence",
    "review_state",
    "reviewed_by",
    "origin",
    "pipeline",
    "pipeline_version",
    "confidence",
]
SENTENCE_COLUMNS = [
    *ARTICLE_COLUMNS,
    "sentence",
    "start",
    "end",
    "text",
    "label",
    "proposed_label",
    "review_state",
    "reviewed_by",
    "confidence",
]


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _article_cells(record: Record) -> list:
    a = record.article
    return [a.pk, a.outlet.name, a.title, a.url, iso(a.published), a.state, username(a.reviewed_by)]


def attribution_rows(record: Record) -> Iterator[list]:
    body = record.body
    head = _article_cells(record)
    for i, a in enumerate(record.attributions):
        row = [*head, i, a.source_type]
        for role in ("source", "cue", "content"):
            span = a.span(role)
            row += [body[span[0] : span[1]], span[0], span[1]] if span else ["", None, None]
        row += [
            a.quote_kind,
            a.via,
            a.anon_descriptor,
            a.anon_seniority,
            a.anon_number,
            a.span_text("anon_justification", body),
            a.anon_specificity,
            record.index_of.get(a.speaker_ref_id) if a.speaker_ref_id else None,
            record.sentence_index(a.sentence_id),
            a.review_state,
            attribution_reviewer(a, record.user),
            a.origin,
            a.pipeline,
            a.pipeline_version,
            a.confidence,
        ]
        yield [neutralise(c) for c in row]


def sentence_rows(record: Record) -> Iterator[list]:
    body = record.body
    head = _article_cells(record)
    for s in record.sentences:
        row = [*head, s.index, s.start, s.end, body[s.start : s.end], s.label, s.proposed_label, s.review_state,
               record.user(s.reviewed_by_id), s.confidence]  # fmt: skip
        yield [neutralise(c) for c in row]


def write_csv_files(records: Iterable[Record], attributions: IO[str], sentences: IO[str]) -> Iterator[int]:
    """Write both files (text files opened with newline=""); yields once per article."""
    a_writer, s_writer = csv.writer(attributions), csv.writer(sentences)
    a_writer.writerow(ATTRIBUTION_COLUMNS)
    s_writer.writerow(SENTENCE_COLUMNS)
    for record in records:
        a_writer.writerows(attribution_rows(record))
        s_writer.writerows(sentence_rows(record))
        yield record.article.pk


def export_csv_zip(records: Iterable[Record], *, includes_unreviewed: bool = False) -> Iterator[bytes]:
    """A zip of attributions.csv (streamed) and sentences.csv (spooled to a temporary file, added last)."""
    sink = Sink()
    zf = open_zip(sink)
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        with zf.open(member(zf, "attributions.csv"), "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            for _ in write_csv_files(records, text, spool):
                text.flush()
                data = sink.drain()
                if data:
                    yield data
            text.flush()
            text.detach()
        spool.seek(0)
        with zf.open(member(zf, "sentences.csv"), "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            while chunk := spool.read(1 << 16):
                text.write(chunk)
                text.flush()
                data = sink.drain()
                if data:
                    yield data
            text.detach()
    zf.close()
    yield from sink.chunks()
