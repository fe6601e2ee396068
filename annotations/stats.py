"""The outlet scorecard: the per-outlet figures of taxonomy.md, computed in SQL.

Every figure is a count done by the database (conditional aggregation grouped by
outlet or by month); Python only divides and adds the Wilson 95% interval. The
number of queries a page makes does not depend on the number of outlets or
articles.

What counts (the *scope*):

- by default only **reviewed** articles (``Article.state == "reviewed"``) and,
  in them, attributions an editor confirmed, corrected or added. Rejected
  proposals never count.
- with ``include_unreviewed`` also articles the pre-pass has seen but no
  editor has finished (``prepassed``, ``in_review``) and attributions still
  ``proposed``. Articles only imported (no pre-pass yet) never count: they have
  nothing to count yet and would only dilute the per-article figures.
- a date range applies to ``Article.published`` (inclusive at both ends);
  articles without a publication date drop out when a range is set.

An outlet (or a month) with nothing in scope has no figures: ``None``, shown as
"no data", never 0%.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django import forms
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower, Trim, TruncMonth

from annotations.models import (
    Article,
    ArticleState,
    Attribution,
    Outlet,
    ReviewState,
    Sentence,
    SentenceLabel,
    SourceType,
    Specificity,
)

Z95 = 1.959963984540054
REVIEWED_STATES = (ArticleState.REVIEWED,)
UNREVIEWED_STATES = (ArticleState.PREPASSED, ArticleState.IN_REVIEW, ArticleState.REVIEWED)
COUNTED_ATTRIBUTIONS = (ReviewState.CONFIRMED, ReviewState.CORRECTED, ReviewState.ADDED)
COUNTED_WITH_PROPOSALS = (*COUNTED_ATTRIBUTIONS, ReviewState.PROPOSED)
NAMED_TYPES = (SourceType.NAMED_PERSON, SourceType.NAMED_ORGANIZATION)
CLAIM_LABELS = (SentenceLabel.SOURCED, SentenceLabel.UNSOURCED_CLAIM)
TOP_DESCRIPTORS = 10
LEANING_ARTICLES = 10
LEANING_MIN_ATTRIBUTIONS = 3
EXAMPLES = 8


# --- numbers -------------------------------------------------------------------------


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
        """Articles in scope; ``prefix`` is the path to the article ("article__", "articles__")."""
        q = Q(**{f"{prefix}state__in": self.article_states})
        if self.date_from:
            q &= Q(**{f"{prefix}published__gte": self.date_from})
        if self.date_to:
            q &= Q(**{f"{prefix}published__lte": self.date_to})
        return q

    def attributions_q(self, prefix: str = "") -> Q:
        """Attributions in scope; ``prefix`` is the path from the model at hand to the attribution."""
        article = "article__" if not prefix else f"{prefix}article__"
        return Q(**{f"{prefix}review_state__in": self.attribution_states}) & self.articles_q(article)

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


class ScopeForm(forms.Form):
    """The filter every scorecard page takes from its query string."""

    date_from = forms.DateField(required=False, label="Published from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))
    unreviewed = forms.BooleanField(required=False, label="Include unreviewed proposals")

    def add_prefix(self, field_name: str) -> str:
        return {"date_from": "from", "date_to": "to"}.get(field_name, field_name)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date is after the end date.")
        return data

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
    ("articles_with_anonymous", "Articles with an anonymous source",
     "articles with at least one anonymous attribution"),
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


def _attribution_counts() -> dict:
    anonymous = Q(source_type=SourceType.ANONYMOUS)
    return {
        "total": Count("id"),
        "anonymous": Count("id", filter=anonymous),
        "justified": Count("id", filter=anonymous & Q(anon_justification_start__isnull=False)),
        "bare": Count("id", filter=anonymous & Q(anon_specificity=Specificity.BARE)),
        "via": Count("id", filter=~Q(via="")),
        "named": Count("id", filter=Q(source_type__in=NAMED_TYPES)),
    }


def _anonymous_article_ids(scope: Scope) -> QuerySet:
    return Attribution.objects.filter(
        review_state__in=scope.attribution_states, source_type=SourceType.ANONYMOUS
    ).values("article_id")


def outlet_figures(scope: Scope, outlets: Sequence[Outlet] | None = None) -> list[OutletFigures]:
    """The figures of every outlet (or of ``outlets``), in three queries (four with ``outlets`` None)."""
    if outlets is None:
        in_scope = scope.articles_q("articles__")
        outlets = list(
            Outlet.objects.order_by("name").annotate(
                n_articles=Count("articles", filter=in_scope),
                n_with_anonymous=Count(
                    "articles", filter=in_scope & Q(articles__in=_anonymous_article_ids(scope))
                ),
            )
        )
        article_counts = {o.pk: (o.n_articles, o.n_with_anonymous) for o in outlets}
    else:
        outlets = list(outlets)
        article_counts = {
            row["outlet_id"]: (row["n"], row["with_anonymous"])
            for row in Article.objects.filter(scope.articles_q(), outlet__in=outlets)
            .values("outlet_id")
            .annotate(n=Count("id"), with_anonymous=Count("id", filter=Q(id__in=_anonymous_article_ids(scope))))
            .order_by()
        }
    ids = [o.pk for o in outlets]
    attribution_rows = {
        row["article__outlet_id"]: row
        for row in Attribution.objects.filter(scope.attributions_q(), article__outlet_id__in=ids)
        .values("article__outlet_id")
        .annotate(**_attribution_counts())
        .order_by()
    }
    sentence_rows = {
        row["article__outlet_id"]: row
        for row in Sentence.objects.filter(scope.articles_q("article__"), article__outlet_id__in=ids,
                                           label__in=CLAIM_LABELS)
        .values("article__outlet_id")
        .annotate(claims=Count("id"), unsourced=Count("id", filter=Q(label=SentenceLabel.UNSOURCED_CLAIM)))
        .order_by()
    }
    result = []
    for outlet in outlets:
        n_articles, with_anonymous = article_counts.get(outlet.pk, (0, 0))
        a = attribution_rows.get(outlet.pk, {})
        s = sentence_rows.get(outlet.pk, {})
        total, anonymous = a.get("total", 0), a.get("anonymous", 0)
        result.append(
            OutletFigures(
                outlet=outlet,
                articles=n_articles,
                attributions=total,
                anonymous=Proportion(anonymous, total),
                articles_with_anonymous=Proportion(with_anonymous, n_articles),
                justified=Proportion(a.get("justified", 0), anonymous),
                bare=Proportion(a.get("bare", 0), anonymous),
                via=Proportion(a.get("via", 0), total),
                unsourced=Proportion(s.get("unsourced", 0), s.get("claims", 0)),
                named_per_article=Rate(a.get("named", 0), n_articles),
            )
        )
    return result


def descriptors_by_outlet(scope: Scope, outlet_ids: Iterable[int], limit: int = TOP_DESCRIPTORS) -> dict[int, list]:
    """The ``limit`` most frequent anonymous descriptors of each outlet, case-folded, in one query."""
    rows = (
        Attribution.objects.filter(
            scope.attributions_q(), article__outlet_id__in=list(outlet_ids), source_type=SourceType.ANONYMOUS
        )
        .exclude(anon_descriptor="")
        .annotate(descriptor=Lower(Trim("anon_descriptor")))
        .values("article__outlet_id", "descriptor")
        .annotate(n=Count("id"))
        .order_by("article__outlet_id", "-n", "descriptor")
    )
    result: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for row in rows:
        bucket = result[row["article__outlet_id"]]
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
    """One outlet's figures per publication month (articles without a date left out): three queries."""
    months: dict[dt.date, MonthFigures] = {}

    def at(value) -> MonthFigures:
        key = _month(value)
        return months.setdefault(key, MonthFigures(month=key))

    article_rows = (
        Article.objects.filter(scope.articles_q(), outlet=outlet, published__isnull=False)
        .annotate(month=TruncMonth("published"))
        .values("month")
        .annotate(n=Count("id"), with_anonymous=Count("id", filter=Q(id__in=_anonymous_article_ids(scope))))
        .order_by()
    )
    for row in article_rows:
        at(row["month"]).articles_with_anonymous = Proportion(row["with_anonymous"], row["n"])
    counts = _attribution_counts()
    attribution_rows = (
        Attribution.objects.filter(scope.attributions_q(), article__outlet=outlet, article__published__isnull=False)
        .annotate(month=TruncMonth("article__published"))
        .values("month")
        .annotate(total=counts["total"], anonymous=counts["anonymous"], justified=counts["justified"])
        .order_by()
    )
    for row in attribution_rows:
        m = at(row["month"])
        m.anonymous = Proportion(row["anonymous"], row["total"])
        m.justified = Proportion(row["justified"], row["anonymous"])
    sentence_rows = (
        Sentence.objects.filter(scope.articles_q("article__"), article__outlet=outlet,
                                article__published__isnull=False, label__in=CLAIM_LABELS)
        .annotate(month=TruncMonth("article__published"))
        .values("month")
        .annotate(claims=Count("id"), unsourced=Count("id", filter=Q(label=SentenceLabel.UNSOURCED_CLAIM)))
        .order_by()
    )
    for row in sentence_rows:
        at(row["month"]).unsourced = Proportion(row["unsourced"], row["claims"])
    return fill_months(months)


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
    """The anonymous share of attributions per outlet and month, in one query (for the comparison)."""
    counts = _attribution_counts()
    rows = (
        Attribution.objects.filter(scope.attributions_q(), article__outlet_id__in=list(outlet_ids),
                                   article__published__isnull=False)
        .annotate(month=TruncMonth("article__published"))
        .values("article__outlet_id", "month")
        .annotate(total=counts["total"], anonymous=counts["anonymous"])
        .order_by()
    )
    result: dict[int, dict[dt.date, Proportion]] = defaultdict(dict)
    for row in rows:
        result[row["article__outlet_id"]][_month(row["month"])] = Proportion(row["anonymous"], row["total"])
    return result


# --- the outlet page's lists --------------------------------------------------------------------------


def leaning_articles(scope: Scope, outlet: Outlet, limit: int = LEANING_ARTICLES) -> list[Article]:
    """The articles that lean most on anonymous sources: highest anonymous share, at least 3 attributions."""
    counted = scope.attributions_q("attributions__")
    return list(
        Article.objects.filter(scope.articles_q(), outlet=outlet)
        .annotate(
            n_attributions=Count("attributions", filter=counted),
            n_anonymous=Count("attributions", filter=counted & Q(attributions__source_type=SourceType.ANONYMOUS)),
        )
        .filter(n_attributions__gte=LEANING_MIN_ATTRIBUTIONS, n_anonymous__gt=0)
        .annotate(anonymous_share=F("n_anonymous") * 1.0 / F("n_attributions"))
        .order_by("-anonymous_share", "-n_anonymous", "-published", "-id")
        .only("id", "title", "published", "state")[:limit]
    )


def leaning_share(article: Article) -> Proportion:
    return Proportion(article.n_anonymous, article.n_attributions)


@dataclass
class Example:
    attribution: Attribution
    source: str
    sentence: str

    @property
    def anchor(self) -> str:
        if self.attribution.sentence_id:
            return f"sentence-{self.attribution.sentence_id}"
        return f"attribution-{self.attribution.pk}"


def anonymous_examples(scope: Scope, outlet: Outlet, limit: int = EXAMPLES) -> list[Example]:
    """The most recent anonymous attributions, each with the sentence holding it."""
    rows = (
        Attribution.objects.filter(scope.attributions_q(), article__outlet=outlet, source_type=SourceType.ANONYMOUS)
        .select_related("article", "sentence")
        .order_by(F("article__published").desc(nulls_last=True), "-article_id", "cue_start", "id")[:limit]
    )
    examples = []
    for attribution in rows:
        body = attribution.article.body
        sentence = attribution.sentence
        text = body[sentence.start : sentence.end] if sentence else attribution.span_text("source", body)
        examples.append(Example(attribution=attribution, source=attribution.span_text("source", body), sentence=text))
    return examples
