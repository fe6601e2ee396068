"""``manage.py db_worker``: django-tasks-db's worker, which first queues the articles a killed worker left.

A worker killed mid-batch (SIGKILL, a machine lost) leaves its task marked running and its claims on the
articles it had not stored; django-tasks-db does not run such a task again. Before it starts taking tasks,
this worker queues every article still waiting for the pre-pass that no live worker holds
(``services.articles_requeue_stranded``), so the batch completes after a restart. Everything else is the
library's worker, unchanged (``annotations`` is listed before ``django_tasks_db`` in ``INSTALLED_APPS`` so
this command is the one ``manage.py`` runs).
"""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as LibraryWorker

from annotations import services


class Command(LibraryWorker):
    help = f"{LibraryWorker.help} Queues the articles a killed worker left unprocessed first."

    def handle(self, *args, **options) -> None:
        requeued = services.articles_requeue_stranded()
        if requeued:
            self.stdout.write(f"queued the pre-pass again for {len(requeued)} article(s) left unprocessed")
        return super().handle(*args, **options)
