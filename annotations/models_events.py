"""The event log: every change, who made it, before and after; append-only (imported at the end of models.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from annotations.models import Article


class AppendOnlyError(RuntimeError):
    pass


class EventQuerySet(models.QuerySet["Event"]):
    def delete(self):
        raise AppendOnlyError("events are append-only")

    def update(self, **kwargs):
        raise AppendOnlyError("events are append-only")

    def for_article(self, article_id: int) -> EventQuerySet:
        return self.filter(article_id=article_id).select_related("actor").order_by("-created_at", "-id")


class Event(models.Model):
    """One change: who, when, which object, what it was before and after. Never updated or deleted."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # PROTECT: an editor with a history is deactivated, never deleted, so the log stays whole.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    # no database foreign key: the history outlives the article it speaks of
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="events"
    )
    object_type = models.CharField(max_length=20)
    object_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=30)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["article", "created_at"], name="event_article_idx"),
            models.Index(fields=["object_type", "object_id"], name="event_object_idx"),
            models.Index(fields=["actor", "article", "created_at"], name="event_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("events are append-only")
