from __future__ import annotations

from django.core.management.base import BaseCommand

from annotations import services
from annotations.management.progress import Progress
from annotations.models import Article


class Command(BaseCommand):
    help = "Recompute the scorecard's per-article counts (after a bulk load, or to check nothing drifted)."

    def handle(self, *args, **options) -> None:
        progress = Progress(self.stdout, Article.objects.count(), "counts")
        last = 0

        def step(done: int) -> None:
            nonlocal last
            progress.advance(done - last)
            last = done

        total = services.article_counts_rebuild(on_chunk=step)
        progress.close()
        self.stdout.write(f"counts recomputed for {total} articles")
