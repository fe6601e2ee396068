from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations import services
from annotations.importing import FORMATS
from annotations.management.progress import Progress


class Command(BaseCommand):
    help = "Import articles from .txt, .html, .jsonl or .csv files (folders are searched) and queue the pre-pass."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="files or folders")
        parser.add_argument("--outlet", help="outlet name for articles that do not name one")
        parser.add_argument("--format", choices=FORMATS, default="auto")
        parser.add_argument("--user", help="username recorded as the importer")
        parser.add_argument(
            "--no-process", action="store_true", help="store only; do not queue sentence splitting and the pre-pass"
        )

    def handle(self, *args, paths: list[str], outlet: str | None, format: str, user: str | None, **options) -> None:
        files: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                files += sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{raw}: no such file or folder")
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"--user {user}: no such user")
        unreadable: list[str] = []

        def read(paths: list[Path]):
            for p in paths:
                try:
                    data = p.read_bytes()
                except OSError as exc:  # a file that went away or may not be read: say so, go on
                    unreadable.append(f"  - {p}: could not be read ({exc.strerror or exc})")
                    continue
                yield str(p), data

        progress = Progress(self.stdout, None, "importing")
        summary = services.articles_import(
            files=read(files),
            outlet_name=outlet,
            fmt=format,
            user=importer,
            enqueue=not options["no_process"],
            on_article=progress.advance,
        )
        progress.close()
        for line in summary.lines():
            self.stdout.write(line)
        if unreadable:
            self.stdout.write(f"files that could not be read: {len(unreadable)}")
            for line in unreadable:
                self.stdout.write(line)
        if summary.restored:
            self.stdout.write(f"restored with their annotations (no pre-pass): {len(summary.restored)}")
        if summary.queued:
            self.stdout.write(f"queued {len(summary.queued)} articles for the pre-pass")
        if not summary.imported and (summary.problems or unreadable) and not summary.duplicates:
            raise CommandError("nothing was imported")
