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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django import forms
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Lower, Trim

from annotations.models import (
    ArticleCounts,
    ArticleState,
    Attribution,
    Outlet,
    ReviewState,
    SourceType,
)
from annotations.proportions import Proportion, Rate

REVIEWED_STATES = (ArticleState.REVIEWED,)
UNREVIEWED_STATES = (ArticleState.PREPASSED, ArticleState.IN_REVIEW, ArticleState.REVIEWED)
COUNTED_ATTRIBUTIONS = (ReviewState.CONFIRMED, ReviewState.CORRECTED, ReviewState.ADDED)
COUNTED_WITH_PROPOSALS = (*COUNTED_ATTRIBUTIONS, ReviewState.PROPOSED)
TOP_DESCRIPTORS = 10


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


def counted_in_scope(scope: Scope, name: str) -> F:
    """An article's count of ``name`` attributions in scope: ``d_<name>``, plus ``p_<name>`` with the switch."""
    return F(f"d_{name}") + F(f"p_{name}") if scope.include_unreviewed else F(f"d_{name}")


def with_anonymous_q(scope: Scope) -> Q:
    """``ArticleCounts`` rows of articles with at least one anonymous attribution in scope."""
    q = Q(d_anonymous__gt=0)
    return q | Q(p_anonymous__gt=0) if scope.include_unreviewed else q


def scope_sums(scope: Scope) -> dict:
    """Conditional sums over ``ArticleCounts`` rows in scope (every key ``n_``-prefixed: no clash with columns).

    Reviewed only: the ``d_*`` columns (kept decided attributions). With the switch: ``d_* + p_*``
    (untouched proposals too). An article "has an anonymous source" when its anonymous count is above 0.
    """

    return {
        "n_articles": Count("pk"),
        "n_with_anonymous": Count("pk", filter=with_anonymous_q(scope)),
        **{f"n_{name}": Sum(counted_in_scope(scope, name)) for name in COUNTED},
        "n_claims": Sum("claims"),
        "n_unsourced": Sum("unsourced"),
    }


def counts_in_scope(scope: Scope) -> QuerySet:
    """The per-article summary rows in scope (``ArticleCounts`` copies the article's state and date)."""
    return ArticleCounts.objects.filter(scope.articles_q())


def figures_from_row(outlet: Outlet, row: dict) -> OutletFigures:
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
    counts = counts_in_scope(scope)
    if outlets is None:
        outlets = list(Outlet.objects.order_by("name"))
    else:
        outlets = list(outlets)
        counts = counts.filter(outlet_id__in=[o.pk for o in outlets])
    rows = {row["outlet_id"]: row for row in counts.values("outlet_id").annotate(**scope_sums(scope)).order_by()}
    return [figures_from_row(outlet, rows.get(outlet.pk, {})) for outlet in outlets]


def _anonymous_attributions(scope: Scope, outlet_ids: Sequence[int]) -> QuerySet:
    """The anonymous attributions in scope of these outlets.

    The articles come from ``ArticleCounts`` (narrow rows, indexed by outlet and state), and only those
    with an anonymous attribution in scope, so the attributions of the other articles are never read."""
    articles = counts_in_scope(scope).filter(with_anonymous_q(scope), outlet_id__in=outlet_ids).values("article_id")
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
