"""The outlet scorecard: the per-outlet figures of taxonomy.md, computed in SQL.

Every figure is a sum done by the database over ``ArticleCounts`` (one row per
article, kept exact by the services that write reviews: see
``annotations/services/counts.py``), grouped by outlet or by month; Python only
divides and adds the Wilson 95% interval. A page reads one summary row per
article in scope, never every attribution and sentence, and the number of
queries it makes does not depend on the number of outlets or articles. Only the
outlet page's descriptors and examples read attributions, and only that
outlet's.

What counts (the *scope*):

- by default only **reviewed** articles (``Article.state == "reviewed"``) and,
  in them, attributions an editor confirmed, corrected or added (the ``d_*``
  counts). Rejected proposals never count.
- with ``include_unreviewed`` also articles the pre-pass has seen but no
  editor has finished (``prepassed``, ``in_review``) and attributions still
  ``proposed`` (``d_* + p_*``). Articles only imported (no pre-pass yet) never
  count: they have nothing to count yet and would only dilute the per-article
  figures.
- a date range applies to ``Article.published`` (inclusive at both ends);
  articles without a publication date drop out when a range is set.

An outlet (or a month) with nothing in scope has no figures: ``None``, shown as
"no data", never 0%. Figures are computed on every request (no result cache), so
they are always exact.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django import forms
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Lower, Trim, TruncMonth

from annotations.models import (
    Article,
    ArticleCounts,
    ArticleState,
    Attribution,
    Outlet,
    ReviewState,
    SourceType,
)

Z95 = 1.959963984540054
REVIEWED_STATES = (ArticleState.REVIEWED,)
UNREVIEWED_STATES = (ArticleState.PREPASSED, ArticleState.IN_REVIEW, ArticleState.REVIEWED)
COUNTED_ATTRIBUTIONS = (ReviewState.CONFIRMED, ReviewState.CORRECTED, ReviewState.ADDED)
COUNTED_WITH_PROPOSALS = (*COUNTED_ATTRIBUTIONS, ReviewState.PROPOSED)
TOP_DESCRIPTORS = 10
LEANING_ARTICLES = 10
LEANING_MIN_ATTRIBUTIONS = 3
EXAMPLES = 8


# --- numbers -------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion; None when there is nothing to count."""
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Proportion:
    """``numerator`` of ``denominator``, with its Wilson 95% interval (None when the denominator is 0)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.numerator, self.denominator)

    @property
    def low(self) -> float | None:
        interval = self.interval
        return interval[0] if interval else None

    @property
    def high(self) -> float | None:
        interval = self.interval
        return interval[1] if interval else None

    @property
    def has_data(self) -> bool:
        return self.denominator > 0

    @property
    def pct(self) -> str:
        return _pct(self.value)

    @property
    def low_pct(self) -> str:
        return _pct(self.low)

    @property
    def high_pct(self) -> str:
        return _pct(self.high)

    @property
    def bar(self):
        """A small SVG bar with the interval as a whisker (for table cells)."""
        from annotations.charts import inline_bar  # charts draws what stats computes

        return inline_bar(self)

    def as_dict(self) -> dict:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": _round(self.value),
            "ci95_low": _round(self.low),
            "ci95_high": _round(self.high),
        }


@dataclass(frozen=True)
class Rate:
    """A mean count per unit (named sources per article): ``numerator / denominator``."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def has_data(self) -> bool:
        return self.denominator > 0

    def as_dict(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "value": _round(self.value)}


def _pct(value: float | None) -> str:
    if value is None:
        return "no data"
    return f"{value * 100:.1f}%" if 0 < value < 0.1 else f"{value * 100:.0f}%"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# --- what counts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    include_unreviewed: bool = False

    @property
    def article_states(self) -> tuple[str, ...]:
        return UNREVIEWED_STATES if self.include_unreviewed else REVIEWED_STATES

    @property
    def attribution_states(self) -> tuple[str, ...]:
        return COUNTED_WITH_PROPOSALS if self.include_unreviewed else COUNTED_ATTRIBUTIONS

    def articles_q(self, prefix: str = "") -> Q:
        """Articles in scope, or their ``ArticleCounts`` rows (which copy state and date); ``prefix`` is the path
        to the article ("article__")."""
        q = Q(**{f"{prefix}state__in": self.article_states})
        if self.date_from:
            q &= Q(**{f"{prefix}published__gte": self.date_from})
        if self.date_to:
            q &= Q(**{f"{prefix}published__lte": self.date_to})
        return q

    def query_params(self) -> dict[str, str]:
        params = {}
        if self.date_from:
            params["from"] = self.date_from.isoformat()
        if self.date_to:
            params["to"] = self.date_to.isoformat()
        if self.include_unreviewed:
            params["unreviewed"] = "1"
        return params

    def as_dict(self) -> dict:
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "include_unreviewed": self.include_unreviewed,
            "articles": "all pre-passed articles, proposals included"
            if self.include_unreviewed
            else "reviewed articles only",
        }


class DateRangeForm(forms.Form):
    """A publication date range, ``from`` and ``to`` in the query string; the start may not be after the end."""

    date_from = forms.DateField(required=False, label="Published from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))

    def add_prefix(self, field_name: str) -> str:
        return {"date_from": "from", "date_to": "to"}.get(field_name, field_name)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return data


class ScopeForm(DateRangeForm):
    """The filter every scorecard page takes from its query string."""

    unreviewed = forms.BooleanField(required=False, label="Include unreviewed proposals")

    def scope(self) -> Scope:
        if not self.is_bound or not self.is_valid():
            return Scope()
        data = self.cleaned_data
        return Scope(date_from=data["date_from"], date_to=data["date_to"], include_unreviewed=data["unreviewed"])


# --- per-outlet figures ----------------------------------------------------------------------


@dataclass
class OutletFigures:
    outlet: Outlet
    articles: int = 0
    attributions: int = 0
    anonymous: Proportion = field(default_factory=lambda: Proportion(0, 0))
    articles_with_anonymous: Proportion = field(default_factory=lambda: Proportion(0, 0))
    justified: Proportion = field(default_factory=lambda: Proportion(0, 0))
    bare: Proportion = field(default_factory=lambda: Proportion(0, 0))
    via: Proportion = field(default_factory=lambda: Proportion(0, 0))
    unsourced: Proportion = field(default_factory=lambda: Proportion(0, 0))
    named_per_article: Rate = field(default_factory=lambda: Rate(0, 0))
    descriptors: list[tuple[str, int]] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return self.articles > 0

    @property
    def proportions(self) -> list[Proportion]:
        """The shares in the order of FIGURES (for table rows)."""
        return [getattr(self, key) for key in FIGURE_KEYS]

    def as_dict(self) -> dict:
        return {
            "outlet": self.outlet.name,
            "slug": self.outlet.slug,
            "articles": self.articles,
            "attributions": self.attributions,
            **{key: getattr(self, key).as_dict() for key, _label, _help in FIGURES},
            "named_sources_per_article": self.named_per_article.as_dict(),
            "top_anonymous_descriptors": [{"descriptor": d, "count": n} for d, n in self.descriptors],
        }


# (attribute, label, definition) of each proportion, in the order the pages show them
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("anonymous", "Anonymous sources", "anonymous attributions of all attributions"),
    (
        "articles_with_anonymous",
        "Articles with an anonymous source",
        "articles with at least one anonymous attribution",
    ),
    ("justified", "Anonymity explained", "anonymous attributions that state why anonymity was granted"),
    ("bare", "Vaguest description", "anonymous attributions described in the vaguest terms (“a source”)"),
    ("via", "Relayed second-hand", "attributions relayed via another outlet"),
    ("unsourced", "Unsourced claims", "claim sentences that carry no source"),
)
FIGURE_KEYS = tuple(key for key, _label, _help in FIGURES)
DENOMINATORS = {
    "anonymous": "attributions",
    "articles_with_anonymous": "articles",
    "justified": "anonymous attributions",
    "bare": "anonymous attributions",
    "via": "attributions",
    "unsourced": "claim sentences",
}


COUNTED = ("total", "anonymous", "justified", "bare", "via", "named")  # the d_/p_ columns of ArticleCounts


def _counted(scope: Scope, name: str) -> F:
    """An article's count of ``name`` attributions in scope: ``d_<name>``, plus ``p_<name>`` with the switch."""
    return F(f"d_{name}") + F(f"p_{name}") if scope.include_unreviewed else F(f"d_{name}")


def _with_anonymous(scope: Scope) -> Q:
    """``ArticleCounts`` rows of articles with at least one anonymous attribution in scope."""
    q = Q(d_anonymous__gt=0)
    return q | Q(p_anonymous__gt=0) if scope.include_unreviewed else q


def _sums(scope: Scope) -> dict:
    """Conditional sums over ``ArticleCounts`` rows in scope (every key ``n_``-prefixed: no clash with columns).

    Reviewed only: the ``d_*`` columns (kept decided attributions). With the switch: ``d_* + p_*``
    (untouched proposals too). An article "has an anonymous source" when its anonymous count is above 0.
    """

    return {
        "n_articles": Count("pk"),
        "n_with_anonymous": Count("pk", filter=_with_anonymous(scope)),
        **{f"n_{name}": Sum(_counted(scope, name)) for name in COUNTED},
        "n_claims": Sum("claims"),
        "n_unsourced": Sum("unsourced"),
    }


def _counts(scope: Scope) -> QuerySet:
    """The per-article summary rows in scope (``ArticleCounts`` copies the article's state and date)."""
    return ArticleCounts.objects.filter(scope.articles_q())


def _figures(outlet: Outlet, row: dict) -> OutletFigures:
    """An outlet's figures from one row of ``_sums`` (missing keys: nothing in scope)."""

    def n(key: str) -> int:
        return row.get(f"n_{key}") or 0

    total, anonymous, articles = n("total"), n("anonymous"), n("articles")
    return OutletFigures(
        outlet=outlet,
        articles=articles,
        attributions=total,
        anonymous=Proportion(anonymous, total),
        articles_with_anonymous=Proportion(n("with_anonymous"), articles),
        justified=Proportion(n("justified"), anonymous),
        bare=Proportion(n("bare"), anonymous),
        via=Proportion(n("via"), total),
        unsourced=Proportion(n("unsourced"), n("claims")),
        named_per_article=Rate(n("named"), articles),
    )


def outlet_figures(scope: Scope, outlets: Sequence[Outlet] | None = None) -> list[OutletFigures]:
    """The figures of every outlet (or of ``outlets``): one grouped query over ``ArticleCounts``
    (and one for the outlets when ``outlets`` is None)."""
    counts = _counts(scope)
    if outlets is None:
        outlets = list(Outlet.objects.order_by("name"))
    else:
        outlets = list(outlets)
        counts = counts.filter(outlet_id__in=[o.pk for o in outlets])
    rows = {row["outlet_id"]: row for row in counts.values("outlet_id").annotate(**_sums(scope)).order_by()}
    return [_figures(outlet, rows.get(outlet.pk, {})) for outlet in outlets]


def _anonymous_attributions(scope: Scope, outlet_ids: Sequence[int]) -> QuerySet:
    """The anonymous attributions in scope of these outlets.

    The articles come from ``ArticleCounts`` (narrow rows, indexed by outlet and state), and only those
    with an anonymous attribution in scope, so the attributions of the other articles are never read."""
    articles = _counts(scope).filter(_with_anonymous(scope), outlet_id__in=outlet_ids).values("article_id")
    return Attribution.objects.filter(
        article_id__in=articles, review_state__in=scope.attribution_states, source_type=SourceType.ANONYMOUS
    )


def descriptors_by_outlet(scope: Scope, outlet_ids: Iterable[int], limit: int = TOP_DESCRIPTORS) -> dict[int, list]:
    """The ``limit`` most frequent anonymous descriptors of each outlet, case-folded, in one query."""
    outlet_ids = list(outlet_ids)
    rows = (
        _anonymous_attributions(scope, outlet_ids)
        .exclude(anon_descriptor="")
        .annotate(descriptor=Lower(Trim("anon_descriptor")))
    )
    if len(outlet_ids) == 1:  # one outlet (its page): no need to join the articles to know it
        rows = rows.annotate(outlet_id=Value(outlet_ids[0])).values("outlet_id", "descriptor")
    else:
        rows = rows.values("descriptor", outlet_id=F("article__outlet_id"))
    rows = rows.annotate(n=Count("article_id")).order_by("outlet_id", "-n", "descriptor")
    result: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for row in rows:
        bucket = result[row["outlet_id"]]
        if len(bucket) < limit:
            bucket.append((row["descriptor"], row["n"]))
    return result


def with_descriptors(scope: Scope, figures: list[OutletFigures], limit: int = TOP_DESCRIPTORS) -> list[OutletFigures]:
    by_outlet = descriptors_by_outlet(scope, [f.outlet.pk for f in figures], limit)
    for figure in figures:
        figure.descriptors = by_outlet.get(figure.outlet.pk, [])
    return figures


# --- sorting the overview --------------------------------------------------------------------

SORT_KEYS = ("name", "articles", "attributions", *FIGURE_KEYS, "named_per_article")


def sort_figures(figures: list[OutletFigures], key: str, descending: bool) -> list[OutletFigures]:
    """Sort by a column; outlets with no data for it always go last, whatever the direction."""
    if key not in SORT_KEYS:
        key = "name"
    if key == "name":
        return sorted(figures, key=lambda f: f.outlet.name.casefold(), reverse=descending)

    def value(f: OutletFigures):
        v = getattr(f, key)
        return v.value if hasattr(v, "value") else v

    present = [f for f in figures if value(f) is not None]
    missing = [f for f in figures if value(f) is None]
    present.sort(key=lambda f: (value(f), f.outlet.name.casefold()), reverse=descending)
    return present + sorted(missing, key=lambda f: f.outlet.name.casefold())


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
        _counts(scope)
        .filter(outlet=outlet)
        .annotate(month=TruncMonth("published"))
        .values("month")
        .annotate(**_sums(scope))
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
        f = _figures(outlet, row)
        month = _month(row["month"])
        months[month] = MonthFigures(
            month=month,
            articles_with_anonymous=f.articles_with_anonymous,
            anonymous=f.anonymous,
            justified=f.justified,
            unsourced=f.unsourced,
        )
    return _figures(outlet, totals), fill_months(months)


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
    sums = _sums(scope)
    rows = (
        _counts(scope)
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
        _counts(scope)
        .filter(outlet=outlet)
        .annotate(n_attributions=_counted(scope, "total"), n_anonymous=_counted(scope, "anonymous"))
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
        _counts(scope)
        .filter(_with_anonymous(scope), outlet=outlet)
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
