# Operations for issue 14 (model versions, retraining from reviews).
#
# - ModelVersion: each model trained from reviewed articles, its figures, who trained it, which one is active.
# - Article.model_version / Attribution.model_version: the model that made the proposals.
# - Article.proposal_confidence (+ an index for the "least sure first" review queue).
#
# SQLite rebuilds annotations_article and annotations_attribution to add a NOT NULL column; the offset triggers
# of 0002 name those tables and would be lost or break the rebuild, so they are dropped around it and created
# again, unchanged (as 0004 does).

import importlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

_0002 = importlib.import_module("annotations.migrations.0002_roles_and_triggers")


def _on_sqlite_all(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0005_double_review"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ModelVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.CharField(help_text='"v<id>": what proposals record', max_length=50, unique=True)),
                (
                    "folder",
                    models.CharField(blank=True, help_text="its folder under MODEL_VERSIONS_DIR", max_length=200),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("training", "Training"),
                            ("ready", "Ready"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=10,
                    ),
                ),
                ("phase", models.CharField(blank=True, max_length=20)),
                ("progress_done", models.PositiveIntegerField(default=0)),
                ("progress_total", models.PositiveIntegerField(default=0)),
                ("message", models.CharField(blank=True, max_length=500)),
                ("error", models.TextField(blank=True)),
                (
                    "options",
                    models.JSONField(blank=True, default=dict, help_text="epochs, base corpus, weights, seed …"),
                ),
                (
                    "based_on",
                    models.CharField(blank=True, help_text="the version live when it was trained", max_length=50),
                ),
                (
                    "training_data",
                    models.JSONField(blank=True, default=dict, help_text="articles per outlet, date range …"),
                ),
                (
                    "figures",
                    models.JSONField(blank=True, default=dict, help_text="old and new side by side, per dev set"),
                ),
                ("result", models.JSONField(blank=True, default=dict, help_text="epochs, dev entity F1, timing")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("is_active", models.BooleanField(default=False)),
                ("promoted_at", models.DateTimeField(blank=True, null=True)),
                (
                    "promoted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "trained_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["status", "updated_at"], name="model_version_status_idx")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("is_active", True)), fields=("is_active",), name="model_version_one_active"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("is_active", False), ("status", "ready"), _connector="OR"),
                        name="model_version_active_is_ready",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("status__in", ["queued", "training", "ready", "failed"])),
                        name="model_version_status_valid",
                    ),
                ],
            },
        ),
        migrations.RunPython(_on_sqlite_all(_0002.SQLITE_REVERSE), _on_sqlite_all(_0002.SQLITE)),
        migrations.AddField(
            model_name="article",
            name="model_version",
            field=models.CharField(blank=True, max_length=50),
        ),
        migrations.AddField(
            model_name="article",
            name="proposal_confidence",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="attribution",
            name="model_version",
            field=models.CharField(blank=True, help_text="the trained model that proposed it", max_length=50),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["state", "proposal_confidence", "id"], name="article_uncertain_queue_idx"),
        ),
        migrations.RunPython(_on_sqlite_all(_0002.SQLITE), _on_sqlite_all(_0002.SQLITE_REVERSE)),
    ]
