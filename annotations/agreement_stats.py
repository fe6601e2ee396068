"""The agreement page's figures (issue 15): sums over the rows closed double reviews stored, done in SQL.

When a double review closes, ``services.double_review_close`` stores each editor pair's span counts (``SpanAgreement``)
and the pairs of values they gave the matched items (``AgreementCell``). Here they are summed by the database,
grouped by editor pair and outlet (a few dozen rows, whatever the number of articles), and Python adds the groups
up (overall, per pair, per outlet) and computes the figures of ``annotations.agreement`` from the sums. A page makes
a fixed number of queries, whatever the number of articles, editors or outlets.

Scope: double reviews whose layers are all submitted (to adjudicate, or adjudicated), of a batch, an outlet and a
publication date range.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Q, QuerySet, Sum

from annotations import agreement
from annotations.models import AgreementCell, DoubleReview, Outlet, ReviewLayer, SpanAgreement
from annotations.models_review_layers import CLOSED_STAGES, SPAN_COLUMNS, SPAN_COUNTS
from annotations.prepass.evaluate import Counts

ARTICLES_LISTED = 50
DISAGREEMENTS_PER_FIELD = 8


# --- what is in scope ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementScope:
    batch: str = ""
    outlet: Outlet | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def q(self, prefix: str = "") -> Q:
        """Double reviews in scope (``prefix``: the path to the review, e.g. "review__")."""
        q = Q(**{f"{prefix}stage__in": CLOSED_STAGES})
        if self.batch:
            q &= Q(**{f"{prefix}batch": self.batch})
        if self.outlet is not None:
            q &= Q(**{f"{prefix}article__outlet": self.outlet})
        if self.date_from:
            q &= Q(**{f"{prefix}article__published__gte": self.date_from})
        if self.date_to:
            q &= Q(**{f"{prefix}article__published__lte": self.date_to})
        return q

    def query_params(self) -> dict[str, str]:
        params = {}
        if self.batch:
            params["batch"] = self.batch
        if self.outlet is not None:
            params["outlet"] = self.outlet.slug
        if self.date_from:
            params["from"] = self.date_from.isoformat()
        if self.date_to:
            params["to"] = self.date_to.isoformat()
        return params

    def as_dict(self) -> dict:
        return {
            "batch": self.batch or None,
            "outlet": self.outlet.name if self.outlet else None,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "double_reviews": "every editor submitted (to adjudicate or adjudicated)",
        }


# --- figures of a group of double reviews -------------------------------------------------------------------


@dataclass
class Group:
    """The summed counts of a group (everything, an editor pair, an outlet, an article)."""

    key: str
    label: str
    articles: int = 0
    units: int = 0
    disagreements: int = 0
    multi: bool = False  # some review of the group has more than two editors: alpha, not kappa
    spans: dict[tuple[str, str], Counts] = field(default_factory=lambda: defaultdict(Counts))
    cells: dict[str, dict[tuple[str, str], list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    )

    def add_spans(self, row: dict) -> None:
        """Add a row of ``SpanAgreement`` sums (every role and rule)."""
        for (role, mode), counts in span_counts(row).items():
            self.spans[(role, mode)].add(counts)

    def add_cell(self, name: str, a: str, b: str, n: float, w: float) -> None:
        cell = self.cells[name][(a, b)]
        cell[0] += n
        cell[1] += w

    def span(self, role: str, mode: str) -> dict:
        return agreement.prf(self.spans.get((role, mode), Counts()))

    def kappa(self, name: str) -> agreement.Chance:
        return agreement.cohen_kappa({k: v[0] for k, v in self.cells.get(name, {}).items()})

    def alpha(self, name: str) -> agreement.Chance:
        return agreement.krippendorff_alpha((a, b, v[1]) for (a, b), v in self.cells.get(name, {}).items())

    def chance(self, name: str) -> agreement.Chance:
        """Cohen's kappa when every review in the group had two editors, else Krippendorff's alpha."""
        return self.alpha(name) if self.multi else self.kappa(name)

    def disagreeing(self, name: str, limit: int = DISAGREEMENTS_PER_FIELD) -> list[tuple[str, str, int]]:
        """The pairs of different values most often given to one item: (first editor's, other's, how often)."""
        rows = [(a, b, int(v[0])) for (a, b), v in self.cells.get(name, {}).items() if a != b]
        return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))[:limit]

    @property
    def differences_share(self) -> float | None:
        return self.disagreements / self.units if self.units else None

    def as_dict(self) -> dict:
        return {
            "group": self.label,
            "articles": self.articles,
            "items_compared": self.units,
            "items_differing": self.disagreements,
            "spans": {f"{role}_{mode}": self.span(role, mode) for role in agreement.ROLES for mode in agreement.MODES},
            "chance_corrected": {
                name: {
                    "kappa": None if self.multi else self.kappa(name).as_dict(),
                    "alpha": self.alpha(name).as_dict(),
                    "reported": "alpha" if self.multi else "kappa",
                }
                for name in agreement.KAPPA_FIELD_NAMES
            },
        }


@dataclass
class EditorFigures:
    """How far one editor kept the pre-pass, over their layers in scope."""

    editor: str
    layers: int
    proposals: int
    kept: int
    corrected: int
    rejected: int
    added: int
    labels_proposed: int
    labels_kept: int
    spans: dict[tuple[str, str], Counts]

    @property
    def kept_share(self) -> float | None:
        return self.kept / self.proposals if self.proposals else None

    @property
    def labels_kept_share(self) -> float | None:
        return self.labels_kept / self.labels_proposed if self.labels_proposed else None

    def span(self, role: str, mode: str) -> dict:
        return agreement.prf(self.spans.get((role, mode), Counts()))

    @property
    def attribution_f1(self) -> float | None:
        """The pre-pass's whole attributions against this editor's, at 30% overlap."""
        return self.span("attribution", "overlap")["f1"]

    def as_dict(self) -> dict:
        return {
            "editor": self.editor,
            "layers": self.layers,
            "proposals": self.proposals,
            "kept_as_proposed": self.kept,
            "kept_share": _round(self.kept_share),
            "corrected": self.corrected,
            "rejected": self.rejected,
            "added": self.added,
            "labels_proposed": self.labels_proposed,
            "labels_kept": self.labels_kept,
            "labels_kept_share": _round(self.labels_kept_share),
            "prepass_spans": {
                f"{role}_{mode}": self.span(role, mode) for role in agreement.ROLES for mode in agreement.MODES
            },
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass
class Report:
    scope: AgreementScope
    overall: Group
    pairs: list[Group]
    outlets: list[Group]
    editors: list[EditorFigures]


SPAN_SUMS = {column: Sum(column) for column in SPAN_COLUMNS}


def span_counts(row: dict) -> dict[tuple[str, str], Counts]:
    """``prepass.evaluate.Counts`` per (role, mode) from a row of ``SpanAgreement`` columns (or their sums)."""
    return {
        (role, mode): Counts(*(row[f"{role}_{mode}_{name}"] or 0 for name in SPAN_COUNTS))
        for role in agreement.ROLES
        for mode in agreement.MODES
    }


def _names(ids: Iterable[int]) -> dict[int, str]:
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


def report(scope: AgreementScope) -> Report:
    """Every figure of the page: four grouped queries and one for the editors' names."""
    reviews = list(
        DoubleReview.objects.filter(scope.q())
        .values(outlet_id=F("article__outlet_id"), outlet_name=F("article__outlet__name"))
        .annotate(n=Count("pk"), units_=Sum("units"), differing=Sum("disagreements"), most=Max("n_editors"))
        .order_by("outlet_name")
    )
    spans = list(
        SpanAgreement.objects.filter(scope.q("review__"))
        .values("editor_a_id", "editor_b_id", outlet_id=F("review__article__outlet_id"))
        .annotate(**SPAN_SUMS, reviews=Count("pk"))  # one row per pair and review
        .order_by()
    )
    cells = (  # (a thousand rows or so: tuples, not dicts)
        AgreementCell.objects.filter(scope.q("review__"))
        .values("editor_a_id", "editor_b_id", "field", "value_a", "value_b", outlet_id=F("review__article__outlet_id"))
        .annotate(n_=Sum("n"), w=Sum("weight"))
        .order_by()
        .values_list("editor_a_id", "editor_b_id", "field", "value_a", "value_b", "outlet_id", "n_", "w")
    )
    layers = list(
        ReviewLayer.objects.filter(scope.q("review__"))
        .values("editor_id")
        .annotate(
            n=Count("pk"),
            proposals_=Sum("proposals"),
            kept_=Sum("kept"),
            corrected_=Sum("corrected"),
            rejected_=Sum("rejected"),
            added_=Sum("added"),
            labels_proposed_=Sum("labels_proposed"),
            labels_kept_=Sum("labels_kept"),
        )
        .order_by()
    )
    names = _names([r["editor_a_id"] for r in spans] + [r["editor_b_id"] for r in spans])

    overall = Group("all", "All double-reviewed articles in scope")
    outlets: dict[int, Group] = {}
    for row in reviews:
        group = outlets[row["outlet_id"]] = Group(f"outlet:{row['outlet_id']}", row["outlet_name"])
        for g in (overall, group):
            g.articles += row["n"]
            g.units += row["units_"] or 0
            g.disagreements += row["differing"] or 0
            g.multi = g.multi or (row["most"] or 0) > 2
    pairs: dict[tuple[int, int], Group] = {}
    prepass: dict[int, dict[tuple[str, str], Counts]] = defaultdict(lambda: defaultdict(Counts))

    def pair_group(a: int, b: int) -> tuple[Group, bool]:
        key = (min(a, b), max(a, b))
        if key not in pairs:
            pairs[key] = Group(f"pair:{key[0]}-{key[1]}", f"{names.get(key[0], key[0])} – {names.get(key[1], key[1])}")
        return pairs[key], key != (a, b)

    for row in spans:
        if row["editor_b_id"] is None:
            for key, counts in span_counts(row).items():
                prepass[row["editor_a_id"]][key].add(counts)
            continue
        pair, _swapped = pair_group(row["editor_a_id"], row["editor_b_id"])
        pair.add_spans(row)
        pair.articles += row["reviews"]
        overall.add_spans(row)
        if row["outlet_id"] in outlets:
            outlets[row["outlet_id"]].add_spans(row)
    for editor_a, editor_b, name, a, b, outlet_id, n, w in cells:
        overall.add_cell(name, a, b, n, w)
        if outlet_id in outlets:
            outlets[outlet_id].add_cell(name, a, b, n, w)
        pair, swapped = pair_group(editor_a, editor_b)
        pair.add_cell(name, *((b, a) if swapped else (a, b)), n, w)
    editors = [
        EditorFigures(
            editor=names.get(row["editor_id"]) or str(row["editor_id"]),
            layers=row["n"],
            proposals=row["proposals_"] or 0,
            kept=row["kept_"] or 0,
            corrected=row["corrected_"] or 0,
            rejected=row["rejected_"] or 0,
            added=row["added_"] or 0,
            labels_proposed=row["labels_proposed_"] or 0,
            labels_kept=row["labels_kept_"] or 0,
            spans=prepass.get(row["editor_id"], {}),
        )
        for row in layers
    ]
    editors.sort(key=lambda e: e.editor.casefold())
    return Report(
        scope=scope,
        overall=overall,
        pairs=sorted(pairs.values(), key=lambda g: g.label.casefold()),
        outlets=list(outlets.values()),
        editors=editors,
    )


# --- per article ------------------------------------------------------------------------------------------


def article_groups(reviews: list[DoubleReview]) -> dict[int, Group]:
    """Each review's own figures (two grouped queries for all of them), keyed by review id."""
    ids = [r.pk for r in reviews]
    groups = {
        r.pk: Group(
            f"article:{r.article_id}",
            str(r.article),
            articles=1,
            units=r.units,
            disagreements=r.disagreements,
            multi=r.n_editors > 2,
        )
        for r in reviews
    }
    if not ids:
        return groups
    spans = (
        SpanAgreement.objects.filter(review_id__in=ids, editor_b__isnull=False)
        .values("review_id")
        .annotate(**SPAN_SUMS)
        .order_by()
    )
    for row in spans:
        groups[row["review_id"]].add_spans(row)
    cells = (
        AgreementCell.objects.filter(review_id__in=ids)
        .values("review_id", "field", "value_a", "value_b")
        .annotate(n_=Sum("n"), w=Sum("weight"))
        .order_by()
    )
    for row in cells:
        groups[row["review_id"]].add_cell(row["field"], row["value_a"], row["value_b"], row["n_"], row["w"])
    return groups


def reviews_in_scope(scope: AgreementScope) -> QuerySet[DoubleReview]:
    return (
        DoubleReview.objects.filter(scope.q())
        .select_related("article", "article__outlet")
        .only(
            "pk",
            "stage",
            "batch",
            "units",
            "disagreements",
            "n_editors",
            "closed_at",
            "article__id",
            "article__title",
            "article__published",
            "article__outlet__name",
        )
    )


def most_disagreed(scope: AgreementScope, limit: int = ARTICLES_LISTED) -> list[DoubleReview]:
    """The articles whose editors differed most (then the most recently closed)."""
    return list(reviews_in_scope(scope).order_by("-disagreements", "-closed_at", "-pk")[:limit])


def editors_of(reviews: list[DoubleReview]) -> dict[int, list[str]]:
    """Each review's editors' names, in the order they were named (one query)."""
    out: dict[int, list[str]] = defaultdict(list)
    rows = (
        ReviewLayer.objects.filter(review_id__in=[r.pk for r in reviews])
        .order_by("review_id", "position")
        .values_list("review_id", "editor__username")
    )
    for review_id, name in rows:
        out[review_id].append(name)
    return out
