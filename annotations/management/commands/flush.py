"""``flush``, on SQLite with the event log's DELETE trigger lifted for its own transaction.

On PostgreSQL a flush is a TRUNCATE, which the append-only trigger lets through: emptying the whole
database is an administrator's act, not an edit of the history. SQLite has no TRUNCATE: a flush is a
``DELETE FROM`` every table, which the trigger of migration 0004 refuses. So on SQLite the trigger is
dropped and created again around the flush, in one transaction (SQLite's DDL is transactional: if the
flush fails, the trigger is back as it was). The test suite flushes between transactional tests.
"""

from __future__ import annotations

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

EVENT_TABLE = "annotations_event"


class Command(flush.Command):
    def handle(self, **options) -> None:
        database = options.get("database") or DEFAULT_DB_ALIAS
        connection = connections[database]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=database):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND sql LIKE %s",
                    [EVENT_TABLE, "%BEFORE DELETE%"],
                )
                triggers = cursor.fetchall()
                for name, _sql in triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
            super().handle(**options)
            with connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)
        return None
