"""Exports of annotated articles: Sourcing Desk jsonl, Prodigy, spaCy DocBin, Label Studio, brat, CSV.

Every format is a generator of bytes over records read in chunks (``base.iter_records``),
so neither the web download nor ``manage.py export`` holds the whole export in memory.
See docs/exports.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .base import REVIEW_CHOICES, ExportFilters, Record, articles_queryset, iter_records
from .brat import export_brat
from .csvfmt import export_csv_zip, write_csv_files
from .jsonl import export_jsonl
from .labelstudio import export_labelstudio
from .prodigy import export_prodigy
from .spacy_docbin import export_spacy


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str
    extension: str
    content_type: str
    writer: Callable[..., Iterator[bytes]]


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("jsonl", "Sourcing Desk JSONL", "jsonl", "application/x-ndjson", export_jsonl),
        ExportFormat("prodigy", "Prodigy tasks (JSONL)", "prodigy.jsonl", "application/x-ndjson", export_prodigy),
        ExportFormat("spacy", "spaCy DocBin", "spacy", "application/octet-stream", export_spacy),
        ExportFormat("labelstudio", "Label Studio JSON", "labelstudio.json", "application/json", export_labelstudio),
        ExportFormat("brat", "brat standoff (zip)", "brat.zip", "application/zip", export_brat),
        ExportFormat("csv", "CSV (zip of two files)", "csv.zip", "application/zip", export_csv_zip),
    )
}


def _counted(records: Iterable[Record], on_article: Callable[[], None] | None) -> Iterator[Record]:
    for record in records:
        yield record
        if on_article:
            on_article()


def export_chunks(
    fmt: str, filters: ExportFilters, *, on_article: Callable[[], None] | None = None, **options
) -> Iterator[bytes]:
    """The bytes of one export, in pieces."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    records = _counted(iter_records(filters), on_article)
    return FORMATS[fmt].writer(records, includes_unreviewed=filters.includes_unreviewed, **options)


__all__ = [
    "FORMATS",
    "REVIEW_CHOICES",
    "ExportFilters",
    "ExportFormat",
    "Record",
    "articles_queryset",
    "export_chunks",
    "iter_records",
    "write_csv_files",
]
