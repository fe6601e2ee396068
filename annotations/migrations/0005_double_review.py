# Operations for issue 15 (double review, agreement, adjudication).
#
# - Article.state gains "double" (an article its editors review blind, until adjudicated) and "layer" (an editor's
#   copy of it); the article_state_valid CHECK is replaced to allow them.
# - DoubleReview, ReviewLayer, SpanAgreement, AgreementCell, AdjudicationItem, DoubleReviewRule
#   (annotations/models_review_layers.py).
#
# SQLite rebuilds annotations_article to replace its CHECK; the offset triggers of 0002 name that table and would
# break the rebuild, so they are dropped around it and created again, unchanged (as 0004 does).

import importlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

_0002 = importlib.import_module("annotations.migrations.0002_roles_and_triggers")

STATES = [
    ("imported", "Imported"),
    ("prepassed", "Pre-passed"),
    ("in_review", "In review"),
    ("reviewed", "Reviewed"),
    ("double", "In double review"),
    ("layer", "An editor's layer"),
]


# SpanAgreement's counts: per role, matching rule and count (models_review_layers.SPAN_COLUMNS, spelt out here)
SPAN_COLUMNS = [
    f"{role}_{mode}_{count}"
    for role in ("source", "cue", "content", "attribution")
    for mode in ("exact", "overlap")
    for count in ("tp_p", "n_p", "tp_r", "n_g")
]


def _on_sqlite_all(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


def _user():
    return models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)


def _user_or_none(on_delete=django.db.models.deletion.SET_NULL):
    return models.ForeignKey(blank=True, null=True, on_delete=on_delete, related_name="+", to=settings.AUTH_USER_MODEL)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0004_event_delete_trigger_article_url"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # --- the two new article states ---
        migrations.RunPython(_on_sqlite_all(_0002.SQLITE_REVERSE), _on_sqlite_all(_0002.SQLITE)),
        migrations.RemoveConstraint(model_name="article", name="article_state_valid"),
        migrations.AlterField(
            model_name="article",
            name="state",
            field=models.CharField(choices=STATES, default="imported", max_length=12),
        ),
        migrations.AlterField(
            model_name="articlecounts",
            name="state",
            field=models.CharField(choices=STATES, max_length=12),
        ),
        migrations.AddConstraint(
            model_name="article",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("state__in", ["imported", "prepassed", "in_review", "reviewed", "double", "layer"])
                ),
                name="article_state_valid",
            ),
        ),
        migrations.RunPython(_on_sqlite_all(_0002.SQLITE), _on_sqlite_all(_0002.SQLITE_REVERSE)),
        # --- double review ---
        migrations.CreateModel(
            name="DoubleReview",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "batch",
                    models.CharField(
                        help_text="a name to group double reviews by (agreement over a batch)", max_length=100
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("waiting", "Waiting for the pre-pass"),
                            ("open", "Editors reviewing"),
                            ("adjudication", "To adjudicate"),
                            ("closed", "Adjudicated"),
                        ],
                        default="waiting",
                        max_length=12,
                    ),
                ),
                ("n_editors", models.PositiveSmallIntegerField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("started_at", models.DateTimeField(blank=True, help_text="when the layers were made", null=True)),
                (
                    "closed_at",
                    models.DateTimeField(blank=True, help_text="when the last layer was submitted", null=True),
                ),
                ("adjudicated_at", models.DateTimeField(blank=True, null=True)),
                ("units", models.PositiveIntegerField(default=0, help_text="attributions and sentences compared")),
                (
                    "disagreements",
                    models.PositiveIntegerField(default=0, help_text="of them, those where the editors differ"),
                ),
                ("adjudicated_by", _user_or_none()),
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="double_review",
                        to="annotations.article",
                    ),
                ),
                ("created_by", _user_or_none()),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(fields=["stage", "batch"], name="double_review_stage_idx"),
                    models.Index(fields=["batch", "stage"], name="double_review_batch_idx"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("stage__in", ["waiting", "open", "adjudication", "closed"])),
                        name="double_review_stage_valid",
                    ),
                    models.CheckConstraint(condition=models.Q(("n_editors__gte", 2)), name="double_review_two_editors"),
                ],
            },
        ),
        migrations.CreateModel(
            name="ReviewLayer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(help_text="the order editors were named in")),
                (
                    "attribution_map",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="copy's attribution id -> the article's proposal it was copied from",
                    ),
                ),
                ("submitted_at", models.DateTimeField(blank=True, null=True)),
                ("proposals", models.PositiveIntegerField(default=0)),
                ("kept", models.PositiveIntegerField(default=0, help_text="proposals confirmed as proposed")),
                ("corrected", models.PositiveIntegerField(default=0)),
                ("rejected", models.PositiveIntegerField(default=0)),
                ("added", models.PositiveIntegerField(default=0)),
                ("labels_proposed", models.PositiveIntegerField(default=0)),
                ("labels_kept", models.PositiveIntegerField(default=0, help_text="sentence labels left as proposed")),
                (
                    "article",
                    models.OneToOneField(
                        blank=True,
                        help_text="the copy",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="layer",
                        to="annotations.article",
                    ),
                ),
                (
                    "editor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="review_layers",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "review",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="layers",
                        to="annotations.doublereview",
                    ),
                ),
            ],
            options={
                "ordering": ["review", "position"],
                "indexes": [models.Index(fields=["editor", "submitted_at"], name="review_layer_editor_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("review", "editor"), name="review_layer_one_per_editor"),
                    models.UniqueConstraint(fields=("review", "position"), name="review_layer_position_unique"),
                ],
            },
        ),
        migrations.CreateModel(
            name="SpanAgreement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                *((column, models.PositiveIntegerField(default=0)) for column in SPAN_COLUMNS),
                ("editor_a", _user()),
                ("editor_b", _user_or_none(django.db.models.deletion.PROTECT)),
                (
                    "review",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="span_rows",
                        to="annotations.doublereview",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="AgreementCell",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("field", models.CharField(max_length=20)),
                ("value_a", models.CharField(blank=True, max_length=200)),
                ("value_b", models.CharField(blank=True, max_length=200)),
                ("n", models.PositiveIntegerField()),
                ("weight", models.FloatField()),
                ("editor_a", _user()),
                ("editor_b", _user()),
                (
                    "review",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="cells", to="annotations.doublereview"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["review", "field"], name="agreement_cell_review_idx")],
            },
        ),
        migrations.CreateModel(
            name="AdjudicationItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=12)),
                ("unit", models.PositiveIntegerField(help_text="the unit's number; a sentence's index")),
                ("position", models.PositiveIntegerField(help_text="where it stands in the text")),
                (
                    "members",
                    models.JSONField(
                        default=dict,
                        help_text="layer id -> that layer's attribution id (or null); for a sentence, its label",
                    ),
                ),
                ("differs", models.BooleanField(default=False)),
                (
                    "choice",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "Undecided"),
                            ("agreed", "The editors agree"),
                            ("layer", "One editor's version"),
                            ("none", "No attribution"),
                            ("edited", "Edited by the adjudicator"),
                            ("label", "A label"),
                        ],
                        max_length=8,
                    ),
                ),
                (
                    "values",
                    models.JSONField(blank=True, help_text="what the article keeps; null: nothing", null=True),
                ),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("version", models.PositiveIntegerField(default=1)),
                (
                    "attribution",
                    models.ForeignKey(
                        blank=True,
                        help_text="the proposal",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="annotations.attribution",
                    ),
                ),
                ("decided_by", _user_or_none()),
                (
                    "sentence",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="annotations.sentence",
                    ),
                ),
                (
                    "review",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="items", to="annotations.doublereview"
                    ),
                ),
                (
                    "chosen_layer",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="annotations.reviewlayer",
                    ),
                ),
            ],
            options={
                "ordering": ["review", "position", "kind", "unit"],
                "indexes": [models.Index(fields=["review", "differs"], name="adjudication_differs_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("review", "kind", "unit"), name="adjudication_item_unique"),
                    models.CheckConstraint(
                        condition=models.Q(("kind__in", ["attribution", "sentence"])), name="adjudication_kind_valid"
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DoubleReviewRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("share", models.PositiveSmallIntegerField(help_text="percent of new imports, 1–100")),
                ("batch", models.CharField(max_length=100)),
                ("active", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("created_by", _user_or_none()),
                ("editors", models.ManyToManyField(related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("share__gte", 1), ("share__lte", 100)), name="double_review_rule_share"
                    ),
                ],
            },
        ),
    ]
