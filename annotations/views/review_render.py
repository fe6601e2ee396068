"""What each sentence row and card of the review page shows: the highlighted text, the card's values.

Nothing here writes HTML: autoescaped templates hold every element. ``review.html`` (Django) is the page
and its fragments; its ~250 sentence rows and ~200 cards (a 5,000-word article) are the macros of
``jinja2/review_rows.html`` (Django's Jinja2 backend), because Django's engine took ~250 ms of CPU to render
them (bench/review.py). The functions below prepare plain values (texts, class names, URLs) for them, one
namespace per row or card; ``review_context`` puts them in the page and the fragments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise
from types import SimpleNamespace

from django.template import engines
from django.urls import reverse

from annotations.models import (
    Article,
    Attribution,
    QuoteKind,
    ReviewState,
    Seniority,
    Sentence,
    SentenceLabel,
    SourceType,
    Specificity,
)

TEMPLATE = "review.html"
ROWS_TEMPLATE = "review_rows.html"  # Jinja2: templates/jinja2/
SPAN_ROLES = ("source", "cue", "content", "anon_justification")
ROLE_CLASS = {"source": "r-src", "cue": "r-cue", "content": "r-con", "anon_justification": "r-why"}
CHECK_BELOW = 0.5  # proposals less sure than this are flagged "check"
LABEL_KEYS = [  # (value, text, key, short); jinja2/review_rows.html spells out the buttons
    (SentenceLabel.SOURCED, SentenceLabel.SOURCED.label, "1", "Sourced"),
    (SentenceLabel.UNSOURCED_CLAIM, SentenceLabel.UNSOURCED_CLAIM.label, "2", "Unsourced"),
    (SentenceLabel.NO_CLAIM, SentenceLabel.NO_CLAIM.label, "3", "No claim"),
    (SentenceLabel.BOILERPLATE, SentenceLabel.BOILERPLATE.label, "4", "Boilerplate"),
]
LABEL_TEXT = {value: text for value, text, _key, _short in LABEL_KEYS}
SOURCE_TYPE_TEXT = dict(SourceType.choices)
REVIEW_STATE_TEXT = dict(ReviewState.choices)
SENIORITY_TEXT = dict(Seniority.choices)
SPECIFICITY_TEXT = dict(Specificity.choices)
QUOTE_KIND_TEXT = dict(QuoteKind.choices)
SPAN_LABELS = {"source": "Source", "cue": "Cue", "content": "Content", "anon_justification": "Why anonymous"}
_PK = 987654321


# --- highlighting: the body as sentences of non-overlapping marked segments ----------------


# role classes for each combination of covering roles (a bit per role, in SPAN_ROLES order)
_ROLE_CLASSES = [
    " ".join(ROLE_CLASS[role] for bit, role in enumerate(SPAN_ROLES) if mask & (1 << bit)) for mask in range(16)
]


def _intervals(attributions: Iterable[Attribution]) -> list[tuple[int, int, int, int, str]]:
    """(start, end, role bit, attribution id, source type) for every span of every attribution that stands."""
    out = []
    for a in attributions:
        if a.review_state == ReviewState.REJECTED:
            continue
        for bit, role in enumerate(SPAN_ROLES):
            start, end = getattr(a, f"{role}_start"), getattr(a, f"{role}_end")
            if start is not None and end is not None and start < end:
                out.append((start, end, 1 << bit, a.pk, a.source_type))
    return out


def _segment(text: str, start: int, active: Iterable[tuple[int, int, int, int, str]]) -> tuple[str, str, str]:
    """(text, mark classes, attribution ids) of one marked segment."""
    mask, source_type, other_type, src_start, ids = 0, None, None, False, set()
    for iv in active:
        mask |= iv[2]
        ids.add(iv[3])
        if iv[2] == 1:  # a source span: its type colours the segment
            source_type = source_type or iv[4]
            src_start = src_start or iv[0] == start
        else:
            other_type = other_type or iv[4]
    extra = " src-start" if src_start else ""
    data = " ".join(map(str, sorted(ids))) if len(ids) > 1 else str(next(iter(ids)))
    return (text, f"{_ROLE_CLASSES[mask]} t-{source_type or other_type}{extra}", data)


def segment(body: str, sentences: list[Sentence], attributions: Iterable[Attribution]) -> None:
    """Give each sentence ``.segments``: its text cut at every span edge, as (text, mark classes, ids) with
    empty classes for unmarked text (the template's ``marks`` partial prints them).

    One sweep over the sorted edges: O(E log E + S·k) for E edges, S segments and k overlapping spans.
    """
    intervals = _intervals(attributions)
    opening: dict[int, list] = defaultdict(list)
    closing: dict[int, list] = defaultdict(list)
    points = set()
    for i, iv in enumerate(intervals):
        opening[iv[0]].append(i)
        closing[iv[1]].append(i)
        points.add(iv[0])
        points.add(iv[1])
    for s in sentences:
        points.add(s.start)
        points.add(s.end)
    ordered = sorted(points)
    active: dict[int, tuple] = {}
    by_sentence = iter(sorted(sentences, key=lambda s: s.start))
    sentence = next(by_sentence, None)
    parts: list[tuple[str, str, str]] = []
    for p, q in pairwise(ordered):
        if p in closing:
            for i in closing[p]:
                active.pop(i, None)
        if p in opening:
            for i in opening[p]:
                active[i] = intervals[i]
        while sentence is not None and p >= sentence.end:
            sentence.segments, parts = parts, []
            sentence = next(by_sentence, None)
        if sentence is None:
            break
        if p >= sentence.start:
            text = body[p:q]
            parts.append(_segment(text, p, active.values()) if active else (text, "", ""))
    while sentence is not None:
        sentence.segments, parts = parts, []
        sentence = next(by_sentence, None)


def row_macros():
    """The macros of ``jinja2/review_rows.html``: ``sentences``, ``cards``, ``options`` and ``marks``.

    Each returns autoescaped markup (``markupsafe.Markup``) that ``review.html`` prints as it is.
    """
    return engines["jinja2"].env.get_template(ROWS_TEMPLATE).module


def highlight(body: str, sentences: list[Sentence], attributions: Iterable[Attribution]) -> None:
    """Give each sentence ``.segments`` (see ``segment``) and ``.html``, its marked text as the page shows it."""
    segment(body, sentences, attributions)
    marks = row_macros().marks
    for s in sentences:
        s.html = marks(s.segments)


def decorate(attributions: Iterable[Attribution], body: str) -> None:
    """The texts a card shows, read from the body (no query)."""
    for a in attributions:
        a.source_text = a.span_text("source", body)
        a.cue_text = a.span_text("cue", body)
        a.content_text = a.span_text("content", body)
        a.why_text = a.span_text("anon_justification", body)
        a.check = a.confidence is not None and a.confidence < CHECK_BELOW and a.review_state == ReviewState.PROPOSED


def span_range(a: Attribution | dict | None) -> tuple[int, int] | None:
    """The stretch of body an attribution's spans cover (to know which sentences to redraw)."""
    if a is None:
        return None
    get = a.get if isinstance(a, dict) else lambda name: getattr(a, name)
    edges = [v for role in SPAN_ROLES for v in (get(f"{role}_start"), get(f"{role}_end")) if v is not None]
    return (min(edges), max(edges)) if edges else None


# --- the repeated parts: one sentence row, one card, as the template's partials read them --------


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


class Rows:
    """What every row and card of one response shares (URL patterns, the weakest proposal), and the values
    the ``sentence`` and ``card`` macros print."""

    def __init__(self, article: Article, *, weakest_id: int | None = None) -> None:
        self.weakest_id = weakest_id
        self._urls = {
            name: reverse(name, args=[_PK]).split(str(_PK))
            for name in ("review_label", "review_confirm", "review_reject", "review_card")
        }

    def url(self, name: str, pk: int) -> str:
        prefix, suffix = self._urls[name]
        return f"{prefix}{pk}{suffix}"

    def sentence(self, s: Sentence, *, oob: bool = False, conflict: str = "") -> SimpleNamespace:
        """``oob``: swapped in out of band; ``conflict``: review.html's ``conflict`` partial, rendered."""
        return SimpleNamespace(
            oob=oob,
            conflict=conflict,
            pk=s.pk,
            label=s.label,
            label_class=s.label or "none",
            label_text=LABEL_TEXT.get(s.label, "Unlabelled"),
            start=s.start,
            end=s.end,
            version=s.version,
            segments=s.segments,
            label_url=self.url("review_label", s.pk),
        )

    def card(
        self, a: Attribution, *, oob: bool = False, oob_swap: str = "", conflict: str = "", editor: str = ""
    ) -> SimpleNamespace:
        """``oob_swap``: where a new card goes, out of band; ``conflict`` and ``editor`` (the correction form,
        open): review.html's ``conflict`` and ``edit_form`` partials, rendered."""
        state, kind = a.review_state, a.source_type
        return SimpleNamespace(
            oob=oob,
            oob_swap=oob_swap,
            conflict=conflict,
            pk=a.pk,
            version=a.version,
            state=state,
            kind=kind,
            state_text=REVIEW_STATE_TEXT.get(state, state),
            kind_text=SOURCE_TYPE_TEXT.get(kind, kind),
            check=a.check,
            sentence_id=a.sentence_id or "",
            confidence=None if a.confidence is None else f"{a.confidence:.2f}",
            weakest=a.pk == self.weakest_id,
            source=a.source_text,
            cue=a.cue_text,
            content=_truncate(a.content_text, 220) if a.content_text else "",
            anonymous=kind == SourceType.ANONYMOUS,
            descriptor=a.anon_descriptor or "no descriptor",
            seniority=SENIORITY_TEXT.get(a.anon_seniority, "—"),
            number=a.anon_number or "—",
            specificity=SPECIFICITY_TEXT.get(a.anon_specificity, "specificity —"),
            why=_truncate(a.why_text, 120) if a.why_text else "",
            quote_kind=QUOTE_KIND_TEXT.get(a.quote_kind, a.quote_kind) if a.quote_kind else "",
            via=a.via,
            speaker_ref=a.speaker_ref_id,
            reviewed_by=a.reviewed_by if a.reviewed_by_id else None,
            confirm_url=self.url("review_confirm", a.pk),
            reject_url=self.url("review_reject", a.pk),
            card_url=self.url("review_card", a.pk),
            option_label=_truncate(a.source_text or a.cue_text, 40),
            editor=editor,
        )
