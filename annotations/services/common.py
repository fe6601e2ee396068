"""What every write shares: snapshots for the event log, the log itself, version checks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

from annotations.models import DECIDED_FIELDS, Article, Attribution, Event, Sentence

# field types whose Python value is what the database takes (COPY adapts it); ForeignKey ids are integers
PLAIN_FIELDS = (
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.FloatField,
    models.BooleanField,
    models.ForeignKey,
)

ATTRIBUTION_FIELDS = (
    *DECIDED_FIELDS,
    "speaker_ref_id",
    "sentence_id",
    "review_state",
    "reviewed_by_id",
    "reviewed_at",
    "origin",
    "version",
)
# What an editor may change in a correction (the rest is bookkeeping).
EDITABLE_ATTRIBUTION_FIELDS = ATTRIBUTION_FIELDS[:16]
ANONYMITY_FIELDS = (
    "anon_descriptor",
    "anon_seniority",
    "anon_number",
    "anon_justification_start",
    "anon_justification_end",
    "anon_specificity",
)
SENTENCE_FIELDS = ("label", "review_state", "reviewed_by_id", "reviewed_at", "label_origin", "version")


class StaleVersionError(Exception):
    """The object changed since the editor saw it; nothing was written."""

    def __init__(self, obj: models.Model, last_event: Event | None) -> None:
        self.obj = obj
        self.last_event = last_event
        who = last_event.actor if last_event and last_event.actor else "someone"
        super().__init__(f"{obj._meta.verbose_name} {obj.pk} was changed by {who} since you loaded it")


class ConflictError(Exception):
    """The action does not apply to the object as it now is (e.g. nothing to undo)."""


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def snapshot(obj: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def attribution_snapshot(attribution: Attribution) -> dict[str, Any]:
    return snapshot(attribution, ATTRIBUTION_FIELDS)


def sentence_snapshot(sentence: Sentence) -> dict[str, Any]:
    return snapshot(sentence, SENTENCE_FIELDS)


def event_record(
    *,
    actor,
    article_id: int | None,
    object_type: str,
    object_id: int | None,
    action: str,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> Event:
    return Event.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        article_id=article_id,
        object_type=object_type,
        object_id=object_id,
        action=action,
        before=before,
        after=after,
        note=note[:500],
    )


def last_event_for(object_type: str, object_id: int) -> Event | None:
    return (
        Event.objects.filter(object_type=object_type, object_id=object_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


def check_version(obj: Attribution | Sentence | Article, expected: int | None) -> None:
    """Refuse a change made against an older version of the object."""
    if expected is not None and obj.version != expected:
        object_type = obj._meta.model_name
        raise StaleVersionError(obj, last_event_for(object_type, obj.pk))


def check_span(body_length: int, start: int | None, end: int | None, field: str, *, required: bool = False) -> None:
    if start is None and end is None:
        if required:
            raise ValidationError({field: "This span is required."})
        return
    if start is None or end is None:
        raise ValidationError({field: "A span needs both a start and an end."})
    if not 0 <= start < end <= body_length:
        raise ValidationError({field: f"Span [{start}, {end}) is not inside the article body (0–{body_length})."})


def bulk_insert_rows(model: type[models.Model], columns: list[str], rows: list[tuple]) -> list[int]:
    """INSERT rows given as tuples of ``columns`` (field attnames, Python values) and return their new ids.

    No model instances are built: for the pre-pass's thousands of sentences and proposals per batch,
    Django spent more time building them and the INSERT than the database spent running it. Columns
    left out take their field's default (one value for the whole call; ``auto_now(_add)`` fields: now).
    On PostgreSQL by ``COPY`` (ids from the table's sequence first), elsewhere ``bulk_create``.
    Triggers and constraints apply as for any INSERT.
    """
    if not rows:
        return []
    meta = model._meta
    given = [meta.get_field(name) for name in columns]
    if [f.attname for f in given] != columns:
        raise ValueError(f"columns must be field attnames: {columns}")
    missing = [f for f in meta.concrete_fields if not f.primary_key and f.attname not in columns]
    now = timezone.now()
    defaults = [
        now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default() for f in missing
    ]
    if connection.vendor != "postgresql":
        names = [*columns, *(f.attname for f in missing)]
        objs = model.objects.bulk_create([model(**dict(zip(names, (*row, *defaults), strict=True))) for row in rows])
        return [obj.pk for obj in objs]
    conn = connections[DEFAULT_DB_ALIAS]
    quote = conn.ops.quote_name
    names = ", ".join(quote(c) for c in [meta.pk.column, *(f.column for f in given), *(f.column for f in missing)])
    fixed = [f.get_db_prep_save(value, conn) for f, value in zip(missing, defaults, strict=True)]
    prep = [None if isinstance(f, PLAIN_FIELDS) else f for f in given]
    with conn.cursor() as cursor, conn.wrap_database_errors:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                values = [v if f is None else f.get_db_prep_save(v, conn) for f, v in zip(prep, row, strict=True)]
                copy.write_row([pk, *values, *fixed])
    return ids
