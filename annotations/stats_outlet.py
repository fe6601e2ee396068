"""The outlet page's own figures: monthly trends, the articles leaning most on anonymous sources, examples.

Computed like the scorecard (``annotations/stats.py``): sums in SQL over ``ArticleCounts`` in the scope,
one query per figure, and only this outlet's attributions read for its examples.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import F
from django.db.models.functions import TruncMonth

from annotations.models import Article, Attribution, Outlet, SourceType
from annotations.proportions import Proportion
from annotations.stats import (
    OutletFigures,
    Scope,
    counted_in_scope,
    counts_in_scope,
    figures_from_row,
    scope_sums,
    with_anonymous_q,
)

LEANING_ARTICLES = 10
LEANING_MIN_ATTRIBUTIONS = 3
EXAMPLES = 8


# --- monthly trends ------------------------------------------------------------------------------


@dataclass
class MonthFigures:
    month: dt.date
    articles_with_anonymous: Proportion = field(default_factory=lambda: Proportion(0, 0))
    anonymous: Proportion = field(default_factory=lambda: Proportion(0, 0))
    justified: Proportion = field(default_factory=lambda: Proportion(0, 0))
    unsourced: Proportion = field(default_factory=lambda: Proportion(0, 0))


def _month(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def monthly_trends(scope: Scope, outlet: Outlet) -> list[MonthFigures]:
    """One outlet's figures per publication month (articles without a date left out): one query."""
    return outlet_report(scope, outlet)[1]


def outlet_report(scope: Scope, outlet: Outlet) -> tuple[OutletFigures, list[MonthFigures]]:
    """One outlet's figures and its monthly trends, in one query over ``ArticleCounts``.

    Counts are grouped by month (undated articles in a group of their own); the outlet's figures are the
    sums over all the groups, the trends the dated groups. Every article falls in exactly one month, so
    the sums are exact, "articles with an anonymous source" included.
    """
    rows = list(
        counts_in_scope(scope)
        .filter(outlet=outlet)
        .annotate(month=TruncMonth("published"))
        .values("month")
        .annotate(**scope_sums(scope))
        .order_by()
    )
    totals: dict[str, int] = defaultdict(int)
    months: dict[dt.date, MonthFigures] = {}
    for row in rows:
        for key, value in row.items():
            if key.startswith("n_"):
                totals[key] += value or 0
        if row["month"] is None:
            continue
        f = figures_from_row(outlet, row)
        month = _month(row["month"])
        months[month] = MonthFigures(
            month=month,
            articles_with_anonymous=f.articles_with_anonymous,
            anonymous=f.anonymous,
            justified=f.justified,
            unsourced=f.unsourced,
        )
    return figures_from_row(outlet, totals), fill_months(months)


def fill_months(months: dict[dt.date, MonthFigures]) -> list[MonthFigures]:
    """Every month from the first to the last, months with nothing in scope left empty (no data)."""
    if not months:
        return []
    first, last = min(months), max(months)
    out, current = [], first
    while current <= last:
        out.append(months.get(current) or MonthFigures(month=current))
        current = (current.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def anonymous_share_by_month(scope: Scope, outlet_ids: Sequence[int]) -> dict[int, dict[dt.date, Proportion]]:
    """The anonymous share of attributions per outlet and month, in one query (for the comparison).

    Months whose articles have no attribution in scope are left out (gaps in the chart)."""
    sums = scope_sums(scope)
    rows = (
        counts_in_scope(scope)
        .filter(outlet_id__in=list(outlet_ids), published__isnull=False)
        .annotate(month=TruncMonth("published"))
        .values("outlet_id", "month")
        .annotate(n_total=sums["n_total"], n_anonymous=sums["n_anonymous"])
        .order_by()
    )
    result: dict[int, dict[dt.date, Proportion]] = defaultdict(dict)
    for row in rows:
        if row["n_total"]:
            result[row["outlet_id"]][_month(row["month"])] = Proportion(row["n_anonymous"], row["n_total"])
    return result


# --- the outlet page's lists --------------------------------------------------------------------------


def leaning_articles(scope: Scope, outlet: Outlet, limit: int = LEANING_ARTICLES) -> list[Article]:
    """The articles that lean most on anonymous sources: highest anonymous share, at least 3 attributions.

    One query over the outlet's ``ArticleCounts`` rows, joined to the article for its title; each article
    comes back with ``n_attributions`` and ``n_anonymous`` set."""
    rows = (
        counts_in_scope(scope)
        .filter(outlet=outlet)
        .annotate(n_attributions=counted_in_scope(scope, "total"), n_anonymous=counted_in_scope(scope, "anonymous"))
        .filter(n_attributions__gte=LEANING_MIN_ATTRIBUTIONS, n_anonymous__gt=0)
        .annotate(anonymous_share=F("n_anonymous") * 1.0 / F("n_attributions"))
        .order_by("-anonymous_share", "-n_anonymous", F("published").desc(nulls_last=True), "-article_id")
        .select_related("article")
        .only("article_id", "article__id", "article__title", "article__published", "article__state")[:limit]
    )
    articles = []
    for row in rows:
        article = row.article
        article.n_attributions, article.n_anonymous = row.n_attributions, row.n_anonymous
        articles.append(article)
    return articles


def leaning_share(article: Article) -> Proportion:
    return Proportion(article.n_anonymous, article.n_attributions)


@dataclass
class Example:
    attribution: Attribution
    source: str
    sentence: str
    sentence_start: int = 0

    @property
    def parts(self) -> tuple[str, str, str]:
        """The sentence as (before, source mention, after), to mark the mention; all in ``before`` if outside."""
        span = self.attribution.span("source")
        if span is None:
            return self.sentence, "", ""
        start, end = span[0] - self.sentence_start, span[1] - self.sentence_start
        if start < 0 or end > len(self.sentence):
            return self.sentence, "", ""
        return self.sentence[:start], self.sentence[start:end], self.sentence[end:]

    @property
    def anchor(self) -> str:
        if self.attribution.sentence_id:
            return f"sentence-{self.attribution.sentence_id}"
        return f"attribution-{self.attribution.pk}"


def anonymous_examples(scope: Scope, outlet: Outlet, limit: int = EXAMPLES) -> list[Example]:
    """The most recent anonymous attributions, each with the sentence holding it.

    They come from the ``limit`` most recent articles with an anonymous attribution in scope at most (each of
    those holds one), found on ``ArticleCounts``: only those articles' attributions are read."""
    recent = (
        counts_in_scope(scope)
        .filter(with_anonymous_q(scope), outlet=outlet)
        .order_by(F("published").desc(nulls_last=True), "-article_id")
        .values("article_id")[:limit]
    )
    rows = (
        Attribution.objects.filter(
            article_id__in=recent, review_state__in=scope.attribution_states, source_type=SourceType.ANONYMOUS
        )
        .select_related("article", "sentence")
        .defer("article__raw", "article__removed_lines", "proposal")
        .order_by(F("article__published").desc(nulls_last=True), "-article_id", "cue_start", "id")[:limit]
    )
    examples = []
    for attribution in rows:
        body = attribution.article.body
        sentence = attribution.sentence
        if sentence:
            text, start = body[sentence.start : sentence.end], sentence.start
        else:
            text, start = attribution.span_text("source", body), attribution.source_start or 0
        source = attribution.span_text("source", body)
        examples.append(Example(attribution=attribution, source=source, sentence=text, sentence_start=start))
    return examples
