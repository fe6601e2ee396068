"""Roles (groups) and the invariants a CHECK constraint cannot state.

- Sentence and attribution offsets lie inside their article's body (compared
  with ``article.body_length``, which a CHECK keeps equal to the body's length).
- The event log is append-only: PostgreSQL refuses UPDATE and DELETE on it (TRUNCATE, an
  administrator's act, stays possible); SQLite refuses UPDATE (its test flush deletes rows,
  so DELETE is refused there by the application: Event.delete and EventQuerySet.delete).
"""

from django.db import migrations

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION annotations_offsets_in_body() RETURNS trigger AS $$
    DECLARE n integer; last_end integer;
    BEGIN
      SELECT body_length INTO n FROM annotations_article WHERE id = NEW.article_id;
      IF TG_TABLE_NAME = 'annotations_sentence' THEN
        last_end := NEW."end";
      ELSE
        last_end := GREATEST(COALESCE(NEW.source_end, 0), COALESCE(NEW.cue_end, 0),
                             COALESCE(NEW.content_end, 0), COALESCE(NEW.anon_justification_end, 0));
      END IF;
      IF last_end > n THEN
        RAISE EXCEPTION '% offset % is past the end of article % (% characters)', TG_TABLE_NAME, last_end,
          NEW.article_id, n USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    """,
    """CREATE TRIGGER annotations_sentence_offsets BEFORE INSERT OR UPDATE ON annotations_sentence
       FOR EACH ROW EXECUTE FUNCTION annotations_offsets_in_body();""",
    """CREATE TRIGGER annotations_attribution_offsets BEFORE INSERT OR UPDATE ON annotations_attribution
       FOR EACH ROW EXECUTE FUNCTION annotations_offsets_in_body();""",
    """
    CREATE OR REPLACE FUNCTION annotations_event_append_only() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION 'annotations_event is append-only (% refused)', TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END $$ LANGUAGE plpgsql;
    """,
    """CREATE TRIGGER annotations_event_append_only BEFORE UPDATE OR DELETE ON annotations_event
       FOR EACH ROW EXECUTE FUNCTION annotations_event_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS annotations_sentence_offsets ON annotations_sentence;",
    "DROP TRIGGER IF EXISTS annotations_attribution_offsets ON annotations_attribution;",
    "DROP TRIGGER IF EXISTS annotations_event_append_only ON annotations_event;",
    "DROP FUNCTION IF EXISTS annotations_offsets_in_body();",
    "DROP FUNCTION IF EXISTS annotations_event_append_only();",
]

_ATTRIBUTION_END = (
    "MAX(COALESCE(NEW.source_end, 0), COALESCE(NEW.cue_end, 0), "
    "COALESCE(NEW.content_end, 0), COALESCE(NEW.anon_justification_end, 0))"
)
_BODY = "(SELECT body_length FROM annotations_article WHERE id = NEW.article_id)"
SQLITE = [
    f"""CREATE TRIGGER annotations_sentence_offsets_{op.lower()} BEFORE {op} ON annotations_sentence
        FOR EACH ROW WHEN NEW."end" > {_BODY}
        BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: sentence offset past the end of the article body'); END;"""
    for op in ("INSERT", "UPDATE")
] + [
    f"""CREATE TRIGGER annotations_attribution_offsets_{op.lower()} BEFORE {op} ON annotations_attribution
        FOR EACH ROW WHEN {_ATTRIBUTION_END} > {_BODY}
        BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: attribution offset past the end of the article body'); END;"""
    for op in ("INSERT", "UPDATE")
] + [
    f"""CREATE TRIGGER annotations_event_append_only_{op.lower()} BEFORE {op} ON annotations_event
        BEGIN SELECT RAISE(ABORT, 'annotations_event is append-only'); END;"""
    for op in ("UPDATE",)
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "annotations_sentence_offsets_insert",
        "annotations_sentence_offsets_update",
        "annotations_attribution_offsets_insert",
        "annotations_attribution_offsets_update",
        "annotations_event_append_only_update",
    )
]

ROLES = ("editor", "standards")


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_roles, delete_roles),
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
