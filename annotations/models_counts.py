"""The scorecard's per-article summary rows (imported at the end of models.py)."""

from __future__ import annotations

from django.db import models

from annotations.choices import ArticleState
from annotations.models import Article, Outlet


class ArticleCounts(models.Model):
    """Per-article sourcing counts, so the scorecard aggregates one row per article, not every attribution.

    Kept exact by ``services.article_counts_refresh``, which every write service calls in its
    own transaction; ``manage.py rebuild_counts`` recomputes all of them. ``d_*`` count decided
    attributions (confirmed, corrected, added), ``p_*`` untouched proposals; rejected ones never count.
    """

    article = models.OneToOneField(Article, primary_key=True, on_delete=models.CASCADE, related_name="counts")
    # copies of the article's fields the scorecard filters and groups by
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+", db_index=False)
    state = models.CharField(max_length=12, choices=ArticleState.choices)
    published = models.DateField(null=True, blank=True)
    d_total = models.PositiveIntegerField(default=0)
    d_anonymous = models.PositiveIntegerField(default=0)
    d_justified = models.PositiveIntegerField(default=0)
    d_bare = models.PositiveIntegerField(default=0)
    d_via = models.PositiveIntegerField(default=0)
    d_named = models.PositiveIntegerField(default=0)
    p_total = models.PositiveIntegerField(default=0)
    p_anonymous = models.PositiveIntegerField(default=0)
    p_justified = models.PositiveIntegerField(default=0)
    p_bare = models.PositiveIntegerField(default=0)
    p_via = models.PositiveIntegerField(default=0)
    p_named = models.PositiveIntegerField(default=0)
    claims = models.PositiveIntegerField(default=0, help_text="sentences labelled sourced or unsourced_claim")
    unsourced = models.PositiveIntegerField(default=0, help_text="sentences labelled unsourced_claim")

    class Meta:
        verbose_name_plural = "article counts"
        indexes = [models.Index(fields=["outlet", "state", "published"], name="counts_outlet_state_idx")]

    def __str__(self) -> str:
        return f"counts of article {self.article_id}"
