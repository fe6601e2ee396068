"""Two invariants the database now holds on every engine.

- The event log refuses DELETE on SQLite too (0002 refused only UPDATE there; PostgreSQL refuses
  both). A flush, the administrator's act that TRUNCATE is on PostgreSQL, lifts the trigger for
  its own transaction (annotations/management/commands/flush.py), so the test suite can still
  empty the database between transactional tests.
- An article's URL is a web address (http or https) or empty: never ``javascript:`` and the like.
  Links already stored in another scheme are cleared first, each with an event in the article's History.
"""

import importlib

import django.core.validators
from django.db import migrations, models

# SQLite rebuilds annotations_article to add a constraint; the offset triggers of 0002 name that table
# and would break the rebuild, so they are dropped around it and created again, unchanged.
_0002 = importlib.import_module("annotations.migrations.0002_roles_and_triggers")

SQLITE_EVENT_DELETE = """
CREATE TRIGGER annotations_event_append_only_delete BEFORE DELETE ON annotations_event
BEGIN SELECT RAISE(ABORT, 'annotations_event is append-only'); END;"""
SQLITE_EVENT_DELETE_REVERSE = "DROP TRIGGER IF EXISTS annotations_event_append_only_delete;"


def _on_sqlite(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(sql, params=None)

    return run


def _on_sqlite_all(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


def clear_non_web_urls(apps, schema_editor):
    Article = apps.get_model("annotations", "Article")
    Event = apps.get_model("annotations", "Event")
    web = models.Q(url="") | models.Q(url__istartswith="http://") | models.Q(url__istartswith="https://")
    for pk, url in Article.objects.exclude(web).values_list("pk", "url").iterator():
        Article.objects.filter(pk=pk).update(url="")
        Event.objects.create(
            article_id=pk,
            object_type="article",
            object_id=pk,
            action="url_cleared",
            before={"url": url[:2000]},
            after={"url": ""},
            note="a link that is not http(s) was cleared (migration 0004)",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0003_article_counts"),
    ]

    operations = [
        migrations.RunPython(_on_sqlite(SQLITE_EVENT_DELETE), _on_sqlite(SQLITE_EVENT_DELETE_REVERSE)),
        migrations.RunPython(clear_non_web_urls, migrations.RunPython.noop),
        migrations.RunPython(_on_sqlite_all(_0002.SQLITE_REVERSE), _on_sqlite_all(_0002.SQLITE)),
        migrations.AlterField(
            model_name="article",
            name="url",
            field=models.URLField(
                blank=True,
                max_length=2000,
                validators=[django.core.validators.URLValidator(schemes=["http", "https"])],
            ),
        ),
        migrations.AddConstraint(
            model_name="article",
            constraint=models.CheckConstraint(
                condition=models.Q(url="") | models.Q(url__istartswith="http://") | models.Q(url__istartswith="https://"),
                name="article_url_http",
            ),
        ),
        migrations.RunPython(_on_sqlite_all(_0002.SQLITE), _on_sqlite_all(_0002.SQLITE_REVERSE)),
    ]
