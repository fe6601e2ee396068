from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from annotations import services
from annotations.management.progress import Progress


class Command(BaseCommand):
    help = (
        "Run the pre-pass (sentences, attributions, sentence labels) over stored articles. "
        "Re-runs replace only proposals nobody has touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--outlet", action="append", default=[], help="outlet slug or name (repeatable)")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--pending", action="store_true", help="articles not yet processed (default)")
        which.add_argument("--all", action="store_true", help="every article (after a rules or model upgrade)")
        which.add_argument(
            "--stale-model",
            action="store_true",
            help="unreviewed articles nobody holds whose proposals another model version made (after a promotion)",
        )
        parser.add_argument("--processes", type=int, default=1, help="spaCy worker processes (nlp.pipe n_process)")
        parser.add_argument("--batch-size", type=int, default=32)

    def handle(self, *args, outlet: list[str], all: bool, processes: int, batch_size: int, **options) -> None:
        stale = options.get("stale_model", False)
        if stale:
            from annotations.services.model_versions import rerun_candidates

            ids = rerun_candidates()
            if outlet:
                ids = sorted(set(ids) & set(services.pending_article_ids(outlet_slugs=outlet, include_all=True)))
        else:
            ids = services.pending_article_ids(outlet_slugs=outlet, include_all=all)
        progress = Progress(self.stdout, len(ids), "pre-pass")
        summary = services.articles_process(
            article_ids=ids,
            force=all or stale,
            unreviewed_only=stale,
            batch_size=batch_size,
            n_process=processes,
            on_article=lambda _pk: progress.advance(),
        )
        progress.close()
        for line in summary.lines():
            self.stdout.write(line)
