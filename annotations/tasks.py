"""Background work through ``django.tasks`` (django-tasks-db in production: ``manage.py db_worker``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.tasks import task

CHUNK = 50


@task()
def process_articles(article_ids: list[int], force: bool = False) -> dict:
    """Split the articles into sentences and run the pre-pass over them (claimed, so no two workers overlap)."""
    from annotations.services import articles_process

    summary = articles_process(article_ids=article_ids, force=force)
    return {"processed": summary.processed, "held_elsewhere": summary.skipped_claimed}


def enqueue_processing(article_ids: Sequence[int], *, force: bool = False) -> list[str]:
    """Queue the articles in chunks, so several workers share a large import."""
    ids = list(article_ids)
    results = []
    for offset in range(0, len(ids), CHUNK):
        result = process_articles.enqueue(ids[offset : offset + CHUNK], force)
        results.append(str(result.id))
    return results
