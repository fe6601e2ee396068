"""Background work through ``django.tasks`` (django-tasks-db in production: ``manage.py db_worker``)."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from django.tasks import task

CHUNK = 50


@task()
def process_articles(article_ids: list[int], force: bool = False, unreviewed_only: bool = False) -> dict:
    """Split the articles into sentences and run the pre-pass over them (claimed, so no two workers overlap).

    ``unreviewed_only``: the re-run after a model version is promoted (no reviewed or leased article)."""
    from annotations.services import articles_process

    summary = articles_process(article_ids=article_ids, force=force, unreviewed_only=unreviewed_only)
    return {"processed": summary.processed, "held_elsewhere": summary.skipped_claimed}


def enqueue_processing(article_ids: Sequence[int], *, force: bool = False, unreviewed_only: bool = False) -> list[str]:
    """Queue the articles in chunks, so several workers share a large import."""
    ids = list(article_ids)
    results = []
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset : offset + CHUNK]
        # the third argument only when set: tasks queued before it existed keep their two
        args = (chunk, force, True) if unreviewed_only else (chunk, force)
        result = process_articles.enqueue(*args)
        results.append(str(result.id))
    return results


@task()
def train_model_version(version_id: int) -> dict:
    """A training run queued by a standards editor (``services.model_versions.model_version_train``); its
    progress is on the version's row, which the models page polls."""
    from annotations.services.model_versions import model_version_train

    version = model_version_train(version_id=version_id)
    return {"version": version.version, "status": version.status}


@task()
def import_files(batch: str, files: list[list[str]], outlet_name: str | None, fmt: str, user_id: int | None) -> dict:
    """An import too large for one request (``IMPORT_SYNC_MAX_RECORDS``): ``services.import_batch_run``.

    The files travel base64-encoded in the task's arguments (the database queue), so any worker can run it.
    """
    from annotations.services.imports import import_batch_run

    decoded = [(name, base64.b64decode(data)) for name, data in files]
    return import_batch_run(batch=batch, files=decoded, outlet_name=outlet_name, fmt=fmt, user_id=user_id)


def enqueue_import(
    *, batch: str, files: Sequence[tuple[str, bytes]], outlet_name: str | None, fmt: str, user_id: int | None
) -> str:
    encoded = [[name, base64.b64encode(data).decode("ascii")] for name, data in files]
    return str(import_files.enqueue(batch, encoded, outlet_name, fmt, user_id).id)


def enqueue_training(version_id: int) -> str:
    return str(train_model_version.enqueue(version_id).id)
