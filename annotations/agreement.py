"""Agreement between editors who reviewed the same article blind (issue 15). Plain values in, figures out: no ORM.

What is compared (docs/agreement.md has the formulas):

- **Spans**, per role (source, cue, content) and for whole attributions, exact and at 30% overlap, with the scorer
  of ``manage.py evaluate_prepass --agreement`` (``prepass.evaluate.Scorer``): the first-named editor is the
  reference ("gold"), the other the "prediction"; F1 is their agreement. Rejected attributions are left out.
- **Matched items**: each editor's attributions are grouped into *units*, one per thing the editors marked: those
  copied from the same pre-pass proposal first, then each attribution an editor added joins the first unit without
  one of theirs that it matches at 30% overlap (``prepass.evaluate`` rule), else starts a unit of its own.
- **Chance-corrected agreement** on the matched items: source type (units every compared editor kept), the
  anonymity fields (units both kept as anonymous) and sentence labels (every sentence): Cohen's kappa for two
  editors, Krippendorff's alpha (nominal) for any number, from the pairs of values each unit holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from annotations.models import DECIDED_FIELDS
from annotations.prepass.evaluate import ROLES as SPAN_ROLES
from annotations.prepass.evaluate import Counts, Scorer, _attr_match

ROLES = (*SPAN_ROLES, "attribution")
MODES = ("exact", "overlap")
# the fields an attribution is compared on (what an editor can change, bar the speaker reference)
COMPARED_FIELDS = DECIDED_FIELDS
ANONYMITY_FIELDS = ("anon_descriptor", "anon_seniority", "anon_number", "anon_specificity", "anon_justified")
KAPPA_FIELDS: tuple[tuple[str, str], ...] = (
    ("source_type", "Source type"),
    ("anon_descriptor", "Anonymous: descriptor"),
    ("anon_seniority", "Anonymous: seniority"),
    ("anon_number", "Anonymous: number"),
    ("anon_specificity", "Anonymous: specificity"),
    ("anon_justified", "Anonymous: justification given"),
    ("sentence_label", "Sentence label"),
)
KAPPA_FIELD_NAMES = tuple(name for name, _label in KAPPA_FIELDS)

Attr = Mapping  # an attribution as plain values: COMPARED_FIELDS, "id", "main_id", "review_state", "origin", …


# --- chance-corrected agreement ------------------------------------------------------------------------


@dataclass(frozen=True)
class Chance:
    """A chance-corrected agreement figure: ``value`` (None when undefined: every value the same, or no items),
    the observed and the expected agreement, and ``n``, the items (pairs of values) behind it."""

    statistic: str  # "kappa" or "alpha"
    value: float | None
    observed: float | None
    expected: float | None
    n: float

    def as_dict(self) -> dict:
        return {
            "statistic": self.statistic,
            "value": _round(self.value),
            "observed": _round(self.observed),
            "expected": _round(self.expected),
            "items": round(self.n, 4),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def cohen_kappa(table: Mapping[tuple[str, str], float]) -> Chance:
    """Cohen's kappa of two raters from their confusion table {(rater A's value, rater B's value): count}.

    κ = (p_o − p_e) / (1 − p_e), p_o the share of items they agree on, p_e = Σ_c p_A(c)·p_B(c).
    """
    n = sum(table.values())
    if n <= 0:
        return Chance("kappa", None, None, None, 0)
    a_marg: dict[str, float] = defaultdict(float)
    b_marg: dict[str, float] = defaultdict(float)
    agree = 0.0
    for (a, b), count in table.items():
        a_marg[a] += count
        b_marg[b] += count
        if a == b:
            agree += count
    observed = agree / n
    expected = sum(a_marg[c] * b_marg.get(c, 0.0) for c in a_marg) / (n * n)
    value = None if expected >= 1 else (observed - expected) / (1 - expected)
    return Chance("kappa", value, observed, expected, n)


def krippendorff_alpha(pairs: Iterable[tuple[str, str, float]]) -> Chance:
    """Krippendorff's alpha (nominal) from weighted pairs of values (value, value, weight).

    Each unit with m values adds each of its m(m−1)/2 pairs of values with weight 1/(m−1) (``unit_pairs``); the
    coincidence matrix o holds every pair in both orders. With n_c = Σ_k o_ck and n = Σ_c n_c:
    α = 1 − (n − 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k.
    """
    coincidence: dict[tuple[str, str], float] = defaultdict(float)
    for a, b, weight in pairs:
        coincidence[(a, b)] += weight
        coincidence[(b, a)] += weight
    margins: dict[str, float] = defaultdict(float)
    for (c, _k), w in coincidence.items():
        margins[c] += w
    n = sum(margins.values())
    if n <= 1:
        return Chance("alpha", None, None, None, n / 2)
    disagree = sum(w for (c, k), w in coincidence.items() if c != k)
    expected_disagree = sum(margins[c] * margins[k] for c in margins for k in margins if c != k) / (n - 1)
    observed = 1 - disagree / n
    expected = 1 - expected_disagree / n
    value = None if expected_disagree <= 0 else 1 - disagree / expected_disagree
    return Chance("alpha", value, observed, expected, n / 2)


def unit_pairs(values: Sequence[str | None]) -> list[tuple[int, int, str, str, float]]:
    """The pairs of values one unit holds (None: that editor gave it no value), with their alpha weight 1/(m−1):
    (position a, position b, value a, value b, weight), a before b."""
    given = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(given) < 2:
        return []
    weight = 1 / (len(given) - 1)
    return [(i, j, vi, vj, weight) for (i, vi), (j, vj) in combinations(given, 2)]


def alpha_of_units(units: Iterable[Sequence[str | None]]) -> Chance:
    """Krippendorff's alpha of units given as each editor's value (None: missing)."""
    return krippendorff_alpha((a, b, w) for values in units for _i, _j, a, b, w in unit_pairs(values))


# --- matching the editors' attributions -----------------------------------------------------------------


def scoring_dict(a: Attr) -> dict:
    """An attribution as ``prepass.evaluate.Scorer`` reads it (hull spans, type, anonymity)."""

    def span(role: str) -> tuple[int, int] | None:
        start, end = a.get(f"{role}_start"), a.get(f"{role}_end")
        return None if start is None or end is None else (start, end)

    anonymity = None
    if a.get("source_type") == "anonymous":
        anonymity = {
            "descriptor": a.get("anon_descriptor", ""),
            "seniority": a.get("anon_seniority", ""),
            "number": a.get("anon_number", ""),
            "justification": span("anon_justification"),
            "specificity": a.get("anon_specificity", ""),
        }
    return {
        "source": span("source"),
        "cue": span("cue"),
        "content": span("content"),
        "source_type": a.get("source_type", ""),
        "anonymity": anonymity,
    }


def reading_key(a: Attr) -> tuple:
    at = a.get("cue_start") if a.get("cue_start") is not None else a.get("source_start")
    return (at if at is not None else 0, a.get("source_start") or 0, a.get("id") or 0)


def live(attributions: Iterable[Attr]) -> list[Attr]:
    """The attributions an editor kept (rejected ones left out), in reading order."""
    return sorted((a for a in attributions if a.get("review_state") != "rejected"), key=reading_key)


def match_units(layers: Sequence[Sequence[Attr]]) -> list[dict[int, Attr]]:
    """Group the kept attributions of each layer (by position) into units {layer position: attribution}.

    First by the proposal they were copied from (``main_id``); then each attribution without one joins the first
    unit (in reading order) that lacks its layer and whose first member it matches at 30% overlap; else a new
    unit. Units come in reading order."""
    units: list[dict[int, Attr]] = []
    by_main: dict[int, dict[int, Attr]] = {}
    loose: list[tuple[int, Attr]] = []
    for pos, attributions in enumerate(layers):
        for a in live(attributions):
            main_id = a.get("main_id")
            if main_id is None:
                loose.append((pos, a))
                continue
            unit = by_main.get(main_id)
            if unit is None:
                unit = by_main[main_id] = {}
                units.append(unit)
            unit[pos] = a
    units.sort(key=lambda u: reading_key(u[min(u)]))
    for pos, a in loose:
        mine = scoring_dict(a)
        unit = next(
            (u for u in units if pos not in u and _attr_match(scoring_dict(u[min(u)]), mine, "overlap")),
            None,
        )
        if unit is None:
            unit = {}
            units.append(unit)
        unit[pos] = a
    units.sort(key=lambda u: reading_key(u[min(u)]))
    return units


def compared(a: Attr) -> tuple:
    return tuple(a.get(name) for name in COMPARED_FIELDS)


def unit_differs(unit: Mapping[int, Attr], n_layers: int) -> bool:
    """Whether the editors differ on a unit: one of them did not keep it, or their fields or spans differ."""
    if len(unit) < n_layers:
        return True
    return len({compared(a) for a in unit.values()}) > 1


def field_value(a: Attr, name: str) -> str | None:
    """An attribution's value for a chance-corrected field (None: not applicable, e.g. anonymity of a named one)."""
    if name == "source_type":
        return a.get("source_type") or ""
    if a.get("source_type") != "anonymous":
        return None
    if name == "anon_justified":
        return "yes" if a.get("anon_justification_start") is not None else "no"
    value = a.get(name) or ""
    return " ".join(value.split()).casefold() if name == "anon_descriptor" else value


# --- one review's figures ---------------------------------------------------------------------------------


@dataclass
class ReviewFigures:
    """What a closed double review stores: span counts per pair, the cells of the matched items, the units."""

    units: list[dict[int, Attr]]
    spans: dict[tuple[int, int | None], dict[tuple[str, str], Counts]]  # (pos a, pos b or None: pre-pass) -> counts
    cells: dict[tuple[int, int, str, str, str], list[float]]  # (pos a, pos b, field, value a, value b) -> [n, weight]
    labels: list[list[str | None]]  # per sentence (by index order), each layer's label


def span_counts(reference: Sequence[Attr], other: Sequence[Attr]) -> dict[tuple[str, str], Counts]:
    """``other`` scored against ``reference`` with ``prepass.evaluate.Scorer``: {(role, mode): Counts}."""
    scorer = Scorer()
    scorer.add([scoring_dict(a) for a in live(reference)], [scoring_dict(a) for a in live(other)])
    return dict(scorer.counts)


def review_figures(
    layers: Sequence[Sequence[Attr]],
    labels: Sequence[Sequence[str | None]],
    proposals: Sequence[Attr] = (),
) -> ReviewFigures:
    """The figures of one article: ``layers`` each editor's attributions (by position), ``labels`` each sentence's
    label per layer, ``proposals`` the pre-pass's (each editor is scored against them too)."""
    n = len(layers)
    spans: dict[tuple[int, int | None], dict] = {}
    for i, j in combinations(range(n), 2):
        spans[(i, j)] = span_counts(layers[i], layers[j])
    for i in range(n):
        spans[(i, None)] = span_counts(layers[i], proposals)
    units = match_units(layers)
    cells: dict[tuple[int, int, str, str, str], list[float]] = defaultdict(lambda: [0, 0.0])

    def add(field: str, values: Sequence[str | None]) -> None:
        for i, j, a, b, weight in unit_pairs(values):
            cell = cells[(i, j, field, a, b)]
            cell[0] += 1
            cell[1] += weight

    for unit in units:
        for field in KAPPA_FIELD_NAMES[:-1]:
            add(field, [field_value(unit[p], field) if p in unit else None for p in range(n)])
    for row in labels:
        add("sentence_label", [label or None for label in row])
    return ReviewFigures(units=units, spans=spans, cells=dict(cells), labels=[list(r) for r in labels])


def prepass_shares(attributions: Iterable[Attr], sentences: Iterable[Mapping]) -> dict[str, int]:
    """How far one editor kept the pre-pass: proposals confirmed as they were, corrected, rejected; attributions
    added; sentence labels left as proposed."""
    out = dict.fromkeys(("proposals", "kept", "corrected", "rejected", "added", "labels_proposed", "labels_kept"), 0)
    for a in attributions:
        state = a.get("review_state")
        if a.get("origin") == "prepass":
            out["proposals"] += 1
            out["kept"] += state == "confirmed"
            out["corrected"] += state == "corrected"
            out["rejected"] += state == "rejected"
        elif state != "rejected":
            out["added"] += 1
    for s in sentences:
        if s.get("proposed_label"):
            out["labels_proposed"] += 1
            out["labels_kept"] += s.get("label") == s.get("proposed_label")
    return out


def prf(counts: Counts) -> dict:
    """Precision, recall and F1 of span counts, with the counts."""
    p, r, f = counts.prf()
    return {
        "precision": round(p, 4) if counts.n_p else None,
        "recall": round(r, 4) if counts.n_g else None,
        "f1": round(f, 4) if counts.n_p or counts.n_g else None,
        "reference_spans": counts.n_g,
        "other_spans": counts.n_p,
        "matched_reference": counts.tp_r,
        "matched_other": counts.tp_p,
    }
