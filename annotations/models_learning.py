"""Model versions of the pre-pass trained from reviewed articles (issue 14; imported at the end of models.py).

A ``ModelVersion`` is one training run and the model it made: what it was trained on, its figures beside
the model that was live when it was trained, who trained it, and whether it is the active one. At most one
version is active (a partial unique index); with none active the pre-pass uses the shipped model
(``models/prepass-ner``). Writes go through ``services.model_versions``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class TrainingStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    TRAINING = "training", "Training"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


RUNNING_STATES = (TrainingStatus.QUEUED, TrainingStatus.TRAINING)


class ModelVersionQuerySet(models.QuerySet["ModelVersion"]):
    def active(self) -> ModelVersion | None:
        return self.filter(is_active=True).first()

    def running(self, now=None) -> ModelVersionQuerySet:
        """Runs queued or training that have reported progress within ``MODEL_TRAINING_STALE_MINUTES``."""
        now = now or timezone.now()
        fresh = now - timedelta(minutes=settings.MODEL_TRAINING_STALE_MINUTES)
        return self.filter(status__in=RUNNING_STATES, updated_at__gte=fresh)

    def for_listing(self) -> ModelVersionQuerySet:
        return self.select_related("trained_by", "promoted_by").order_by("-created_at", "-id")


class ModelVersion(models.Model):
    version = models.CharField(max_length=50, unique=True, help_text='"v<id>": what proposals record')
    folder = models.CharField(max_length=200, blank=True, help_text="its folder under MODEL_VERSIONS_DIR")
    status = models.CharField(max_length=10, choices=TrainingStatus.choices, default=TrainingStatus.QUEUED)
    # live progress of the run (the page polls it)
    phase = models.CharField(max_length=20, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    # what it is
    options = models.JSONField(default=dict, blank=True, help_text="epochs, base corpus, weights, seed …")
    based_on = models.CharField(max_length=50, blank=True, help_text="the version live when it was trained")
    training_data = models.JSONField(default=dict, blank=True, help_text="articles per outlet, date range …")
    figures = models.JSONField(default=dict, blank=True, help_text="old and new side by side, per dev set")
    result = models.JSONField(default=dict, blank=True, help_text="epochs, dev entity F1, timing")
    trained_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # which one the pre-pass uses
    is_active = models.BooleanField(default=False)
    promoted_at = models.DateTimeField(null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="model_version_one_active"),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(status=TrainingStatus.READY), name="model_version_active_is_ready"
            ),
            models.CheckConstraint(condition=Q(status__in=TrainingStatus.values), name="model_version_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="model_version_status_idx")]

    def __str__(self) -> str:
        return self.version or f"model version {self.pk}"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATES

    @property
    def percent(self) -> int:
        if self.status == TrainingStatus.READY:
            return 100
        return round(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    @property
    def minutes(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds() / 60, 1)
        return None
