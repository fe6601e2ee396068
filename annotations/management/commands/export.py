from __future__ import annotations

import datetime
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.exports import FORMATS, REVIEW_CHOICES, ExportFilters, articles_queryset, export_chunks
from annotations.exports.base import iter_records
from annotations.exports.csvfmt import write_csv_files
from annotations.management.progress import Progress
from annotations.models import SourceType


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = (
        "Export annotated articles: jsonl (Sourcing Desk), prodigy, spacy (DocBin), labelstudio, brat (zip), csv. "
        "Reviewed articles only unless --review all. See docs/exports.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=list(FORMATS))
        parser.add_argument(
            "--out",
            required=True,
            help="output file ('-' for standard output, text formats only). csv: a .zip gets both files in one zip; "
            "any other name gets the attributions there and the sentences beside it (<name>.sentences.csv). "
            "spacy: a JSONL sidecar is written beside it (<name>.jsonl)",
        )
        parser.add_argument("--outlet", action="append", default=[], help="outlet slug or name (repeatable)")
        parser.add_argument("--from", dest="published_from", type=_date, help="published on or after (YYYY-MM-DD)")
        parser.add_argument("--to", dest="published_to", type=_date, help="published on or before (YYYY-MM-DD)")
        parser.add_argument(
            "--review",
            choices=REVIEW_CHOICES,
            default="reviewed",
            help="reviewed: reviewed articles only (default); all: also articles with untouched proposals "
            '(marked "review_state": "proposed" and "includes_unreviewed": true)',
        )
        parser.add_argument("--annotator", action="append", default=[], help="reviewer's username (repeatable)")
        parser.add_argument("--source-type", action="append", default=[], choices=SourceType.values)
        parser.add_argument(
            "--layers",
            action="store_true",
            help="also each editor's own review of double-reviewed articles (jsonl: a layers list with an annotator "
            "each; labelstudio: one annotation per editor); other formats carry the adjudicated result only",
        )

    def handle(self, *args, format: str, out: str, **options) -> None:
        filters = ExportFilters(
            outlets=options["outlet"],
            published_from=options["published_from"],
            published_to=options["published_to"],
            review=options["review"],
            annotators=options["annotator"],
            source_types=options["source_type"],
            layers=options["layers"],
        )
        total = articles_queryset(filters).count()
        progress = Progress(self.stderr, total, f"exporting {format}")
        if out == "-":
            if format in ("spacy", "brat", "csv"):
                raise CommandError(f"--out -: the {format} format is binary or several files; give a file name")
            for chunk in export_chunks(format, filters, on_article=progress.advance):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            progress.close()
            return
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"--out {out}: folder {path.parent} does not exist")
        written = [path]
        if format == "csv" and path.suffix.lower() != ".zip":
            sentences = path.with_name(f"{path.stem}.sentences.csv")
            written.append(sentences)
            with (
                path.open("w", encoding="utf-8", newline="") as a_fh,
                sentences.open("w", encoding="utf-8", newline="") as s_fh,
            ):
                for _ in write_csv_files(iter_records(filters), a_fh, s_fh):
                    progress.advance()
        elif format == "spacy":
            sidecar = path.with_name(path.name + ".jsonl") if path.suffix != ".jsonl" else path.with_suffix(".meta")
            written.append(sidecar)
            with path.open("wb") as fh, sidecar.open("w", encoding="utf-8") as side:
                for chunk in export_chunks(format, filters, on_article=progress.advance, sidecar=side):
                    fh.write(chunk)
        else:
            with path.open("wb") as fh:
                for chunk in export_chunks(format, filters, on_article=progress.advance):
                    fh.write(chunk)
        progress.close()
        self.stdout.write(f"exported {progress.done} articles as {format}: {', '.join(str(p) for p in written)}")
