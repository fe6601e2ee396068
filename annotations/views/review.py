"""The review page: the article with every highlight, the attributions beside it, and each editor action.

One full page for the first load (text and every highlight in one response, a constant number of
queries); each action answers an htmx request with only the fragments it changed (the card, the
sentences its spans touch, the progress counter) as partials of ``review.html`` plus out-of-band swaps
and an ``HX-Trigger`` event, and a plain form post with a redirect back to the card (POST/redirect/GET).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta
from html import escape
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from annotations import services
from annotations.forms import AttributionAddForm, AttributionCorrectForm, SentenceLabelForm, VersionForm
from annotations.models import (
    Article,
    ArticleState,
    Attribution,
    QuoteKind,
    ReviewState,
    Seniority,
    Sentence,
    SentenceLabel,
    SourceType,
    Specificity,
)
from annotations.permissions import editor_required
from annotations.roles import is_standards
from annotations.views.common import HtmxHttpRequest

TEMPLATE = "review.html"
SPAN_ROLES = ("source", "cue", "content", "anon_justification")
ROLE_CLASS = {"source": "r-src", "cue": "r-cue", "content": "r-con", "anon_justification": "r-why"}
PAGE_DEFERRED = ("proposal", "pipeline", "pipeline_version", "created_at", "updated_at", "reviewed_at")
CHECK_BELOW = 0.5  # proposals less sure than this are flagged "check"
LABEL_KEYS = [  # (value, text, key, short)
    (SentenceLabel.SOURCED, SentenceLabel.SOURCED.label, "1", "Sourced"),
    (SentenceLabel.UNSOURCED_CLAIM, SentenceLabel.UNSOURCED_CLAIM.label, "2", "Unsourced"),
    (SentenceLabel.NO_CLAIM, SentenceLabel.NO_CLAIM.label, "3", "No claim"),
    (SentenceLabel.BOILERPLATE, SentenceLabel.BOILERPLATE.label, "4", "Boilerplate"),
]
TOKEN = re.compile(r"\w+|[^\w\s]")


# --- object-level rules -------------------------------------------------------------------


def can_act(user, article: Article) -> bool:
    """Editors act on reviewable articles no other editor holds under a lease; standards editors act on
    any reviewable or reviewed article (they can also reassign it)."""
    if article.state in (ArticleState.PREPASSED, ArticleState.IN_REVIEW):
        return not article.held_by_other(user) or is_standards(user)
    return article.state == ArticleState.REVIEWED and is_standards(user)


def _require_act(user, article: Article) -> None:
    if not can_act(user, article):
        if article.held_by_other(user):
            until = timezone.localtime(article.lease_expires_at).strftime("%H:%M")
            raise PermissionDenied(
                f"{article.assignee} is reviewing this article until {until}; ask a standards editor to reassign it."
            )
        raise PermissionDenied("This article cannot be changed by your role in its current state.")
    renew_before = timedelta(minutes=settings.REVIEW_LEASE_MINUTES / 2)
    lease_left = article.lease_expires_at - timezone.now() if article.lease_expires_at else None
    if article.assignee_id == user.pk and lease_left is not None and lease_left < renew_before:
        # the editor is still at work here: keep the article theirs (one UPDATE, only when it runs low)
        services.article_lease_renew(article_id=article.pk, user=user)


def _article_for_action(request: HttpRequest, pk: int) -> Article:
    article = get_object_or_404(Article.objects.select_related("assignee"), pk=pk)
    _require_act(request.user, article)
    return article


def _attribution_for_action(request: HttpRequest, pk: int) -> Attribution:
    attribution = get_object_or_404(
        Attribution.objects.select_related("article", "article__assignee").defer(
            "article__raw", "article__removed_lines"
        ),
        pk=pk,
    )
    _require_act(request.user, attribution.article)
    return attribution


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


def _segment_html(text: str, start: int, active: Iterable[tuple[int, int, int, int, str]]) -> str:
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
    owner = source_type or other_type
    return f'<mark class="m {_ROLE_CLASSES[mask]} t-{owner}{extra}" data-a="{data}">{escape(text, quote=False)}</mark>'


def highlight(body: str, sentences: list[Sentence], attributions: Iterable[Attribution]) -> None:
    """Give each sentence ``.html``: its text cut at every span edge, each piece marked with the roles covering it.

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
    parts: list[str] = []
    for p, q in pairwise(ordered):
        if p in closing:
            for i in closing[p]:
                active.pop(i, None)
        if p in opening:
            for i in opening[p]:
                active[i] = intervals[i]
        while sentence is not None and p >= sentence.end:
            sentence.html = mark_safe("".join(parts))  # noqa: S308 -- every piece escaped above
            parts = []
            sentence = next(by_sentence, None)
        if sentence is None:
            break
        if p >= sentence.start:
            text = body[p:q]
            parts.append(_segment_html(text, p, active.values()) if active else escape(text, quote=False))
    while sentence is not None:
        sentence.html = mark_safe("".join(parts))  # noqa: S308 -- every piece escaped above
        parts = []
        sentence = next(by_sentence, None)


def decorate(attributions: Iterable[Attribution], body: str) -> None:
    """The texts a card shows, read from the body (no query)."""
    for a in attributions:
        a.source_text = a.span_text("source", body)
        a.cue_text = a.span_text("cue", body)
        a.content_text = a.span_text("content", body)
        a.why_text = a.span_text("anon_justification", body)
        a.check = a.confidence is not None and a.confidence < CHECK_BELOW and a.review_state == ReviewState.PROPOSED


def _span_range(a: Attribution | dict | None) -> tuple[int, int] | None:
    """The stretch of body an attribution's spans cover (to know which sentences to redraw)."""
    if a is None:
        return None
    get = a.get if isinstance(a, dict) else lambda name: getattr(a, name)
    edges = [v for role in SPAN_ROLES for v in (get(f"{role}_start"), get(f"{role}_end")) if v is not None]
    return (min(edges), max(edges)) if edges else None


# --- the repeated markup: one sentence row, one card -------------------------------------------
#
# A 5,000-word article has ~250 sentence rows and ~200 cards. Rendering them with the template engine
# cost 0.6-1 s a page (tens of thousands of nodes), so these two are built here, escaped piece by piece,
# and the template's ``sentence`` and ``card`` partials print them. Everything else is template markup.

LABEL_TEXT = {value: text for value, text, _key, _short in LABEL_KEYS}
SOURCE_TYPE_TEXT = dict(SourceType.choices)
REVIEW_STATE_TEXT = dict(ReviewState.choices)
SENIORITY_TEXT = dict(Seniority.choices)
SPECIFICITY_TEXT = dict(Specificity.choices)
QUOTE_KIND_TEXT = dict(QuoteKind.choices)
_PK = 987654321


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


class Markup:
    """What every row and card of one response shares: the role's rights, the CSRF field, URL patterns."""

    def __init__(self, request: HttpRequest, article: Article, *, weakest_id: int | None = None) -> None:
        self.can_act = can_act(request.user, article)
        self.csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(get_token(request))}">'
        self.review_url = reverse("review", args=[article.pk])
        self.weakest_id = weakest_id
        self._urls = {
            name: reverse(name, args=[_PK]).split(str(_PK))
            for name in ("review_label", "review_confirm", "review_reject", "review_card")
        }

    def url(self, name: str, pk: int) -> str:
        prefix, suffix = self._urls[name]
        return f"{prefix}{pk}{suffix}"

    def sentence(self, s: Sentence, *, oob: bool = False, conflict: str = "") -> SafeString:
        label = s.label or "none"
        out = [
            f'<div id="sentence-{s.pk}" class="sent-row lab-{_e(label)}" tabindex="-1" data-sentence="{s.pk}"',
            ' hx-swap-oob="true">' if oob else ">",
            conflict,
            f'<p class="sent" data-start="{s.start}" data-end="{s.end}">{s.html}</p>',
        ]
        if self.can_act:
            url = self.url("review_label", s.pk)
            out.append(
                f'<form class="labels" method="post" action="{url}" hx-post="{url}" hx-target="#sentence-{s.pk}" '
                f'hx-swap="outerHTML" aria-label="Sentence label">{self.csrf}'
                f'<input type="hidden" name="version" value="{s.version}">'
            )
            for value, text, key, short in LABEL_KEYS:
                pressed = "true" if s.label == value else "false"
                out.append(
                    f'<button type="submit" name="label" value="{value}" data-key="{key}" class="lab lab-{value}" '
                    f'aria-pressed="{pressed}" title="{text} ({key})">{short}</button>'
                )
            out.append("</form>")
        else:
            text = LABEL_TEXT.get(s.label, "Unlabelled")
            out.append(f'<span class="lab lab-{_e(label)}" aria-pressed="true">{_e(text)}</span>')
        out.append("</div>\n")
        return mark_safe("".join(out))  # noqa: S308 -- every value escaped above

    def card(
        self, a: Attribution, *, oob: bool = False, oob_swap: str = "", conflict: str = "", editor: str = ""
    ) -> SafeString:
        state, kind = a.review_state, a.source_type
        state_text, kind_text = REVIEW_STATE_TEXT.get(state, state), SOURCE_TYPE_TEXT.get(kind, kind)
        out = [f'<div hx-swap-oob="{_e(oob_swap)}">'] if oob_swap else []
        out.append(
            f'<article id="attribution-{a.pk}" class="card st-{_e(state)} t-{_e(kind)}{" check" if a.check else ""}" '
            f'tabindex="-1" data-id="{a.pk}" data-version="{a.version}" data-state="{_e(state)}" '
            f'data-sentence="{a.sentence_id or ""}" hx-target="this" hx-swap="outerHTML" '
            f'aria-label="Attribution {a.pk}, {_e(kind_text)}, {_e(state_text)}"'
            f"{' hx-swap-oob="true"' if oob and not oob_swap else ''}>"
        )
        out.append(conflict)
        out.append(
            f'<header class="card-head"><span class="chip t-{_e(kind)}">{_e(kind_text)}</span> '
            f'<span class="badge st-{_e(state)}">{_e(state_text)}</span> '
        )
        if a.confidence is not None:
            low = " low" if a.check else ""
            check = " · check" if a.check else ""
            out.append(f'<span class="conf{low}" title="pre-pass confidence">{a.confidence:.2f}{check}</span> ')
        if a.pk == self.weakest_id:
            out.append('<span class="weakest">weakest</span> ')
        out.append(f'<span class="muted num">#{a.pk}</span></header><p class="gist">')
        if a.source_text:
            out.append(f'<b class="g-src">{_e(a.source_text)}</b> ')
        else:
            out.append('<i class="muted">no source</i> ')
        if a.cue_text:
            out.append(f'<span class="g-cue">{_e(a.cue_text)}</span> ')
        if a.content_text:
            out.append(f'<q class="g-con">{_e(_truncate(a.content_text, 220))}</q>')
        out.append("</p>")
        if kind == SourceType.ANONYMOUS:
            why = (
                f"why: “{_e(_truncate(a.why_text, 120))}”"
                if a.why_text
                else '<span class="warn">no justification</span>'
            )
            out.append(
                f'<p class="anon"><strong>Anonymous</strong>: {_e(a.anon_descriptor or "no descriptor")} · seniority '
                f"{_e(SENIORITY_TEXT.get(a.anon_seniority, '—'))} · number {_e(a.anon_number or '—')} · "
                f"{_e(SPECIFICITY_TEXT.get(a.anon_specificity, 'specificity —'))} · {why}</p>"
            )
        meta = []
        if a.quote_kind:
            meta.append(f"<li>{_e(QUOTE_KIND_TEXT.get(a.quote_kind, a.quote_kind))} quote</li>")
        if a.via:
            meta.append(f"<li>via {_e(a.via)}</li>")
        if a.speaker_ref_id:
            ref = a.speaker_ref_id
            meta.append(f'<li>same speaker as <a href="#attribution-{ref}">#{ref}</a></li>')
        if meta:
            out.append(f'<ul class="meta muted inline-list">{"".join(meta)}</ul>')
        if a.reviewed_by_id and a.reviewed_by:
            out.append(f'<p class="meta muted">{_e(state_text)} by {_e(a.reviewed_by)}</p>')
        if self.can_act:
            confirm, reject, card = (self.url(n, a.pk) for n in ("review_confirm", "review_reject", "review_card"))
            version = f'<input type="hidden" name="version" value="{a.version}">'
            out.append(
                f'<div class="actions">'
                f'<form method="post" action="{confirm}" hx-post="{confirm}" class="inline confirm-form">{self.csrf}'
                f'{version}<button type="submit" class="ok">Confirm <kbd>a</kbd></button></form> '
                f'<form method="post" action="{reject}" hx-post="{reject}" class="inline reject-form">{self.csrf}'
                f'{version}<button type="submit" class="bad">Reject <kbd>x</kbd></button></form> '
            )
            if editor:
                out.append(
                    f'<a class="button edit-link" href="{self.review_url}#attribution-{a.pk}" hx-get="{card}">'
                    f"Close editor</a></div>{editor}"
                )
            else:
                out.append(
                    f'<a class="button edit-link" href="{self.review_url}?edit={a.pk}#attribution-{a.pk}" '
                    f'hx-get="{card}?edit=1">Edit <kbd>e</kbd></a></div>'
                )
        out.append("</article>\n")
        if oob_swap:
            out.append("</div>")
        return mark_safe("".join(out))  # noqa: S308 -- every value escaped above


# --- progress -------------------------------------------------------------------------------


def _progress_from(article: Article, attributions: list[Attribution], sentences: list[Sentence]) -> dict[str, Any]:
    open_ids = [a.pk for a in attributions if a.review_state == ReviewState.PROPOSED]
    return _progress_dict(
        article,
        total=len(attributions),
        open_count=len(open_ids),
        open_ids=open_ids[:12],
        unlabelled=sum(1 for s in sentences if not s.label),
    )


_PROGRESS_SQL = f"""
    SELECT a.state, a.version,
      (SELECT COUNT(*) FROM {Attribution._meta.db_table} t WHERE t.article_id = a.id),
      (SELECT COUNT(*) FROM {Attribution._meta.db_table} t WHERE t.article_id = a.id AND t.review_state = %s),
      (SELECT COUNT(*) FROM {Sentence._meta.db_table} s WHERE s.article_id = a.id AND s.label = '')
    FROM {Article._meta.db_table} a WHERE a.id = %s
"""  # noqa: S608 (table names from the models, values as parameters)


def _progress_query(article: Article) -> dict[str, Any]:
    """The counters after an action, in two queries; refreshes ``article.state`` and ``.version`` on the way.

    Plain SQL: the ORM spent ten times longer compiling the three counting subqueries than the database
    spent running them, on the path of every review action.
    """
    with connection.cursor() as cursor:
        cursor.execute(_PROGRESS_SQL, [ReviewState.PROPOSED.value, article.pk])
        state, version, total, open_count, unlabelled = cursor.fetchone()
    row = {"state": state, "version": version, "total": total, "open": open_count, "unlabelled": unlabelled}
    article.state, article.version = row["state"], row["version"]
    open_ids = list(
        article.attributions.filter(review_state=ReviewState.PROPOSED)
        .in_reading_order()
        .values_list("pk", flat=True)[:12]
    )
    return _progress_dict(
        article, total=row["total"], open_count=row["open"], open_ids=open_ids, unlabelled=row["unlabelled"]
    )


def _progress_dict(article: Article, *, total: int, open_count: int, open_ids: list[int], unlabelled: int) -> dict:
    return {
        "total": total,
        "open": open_count,
        "decided": total - open_count,
        "open_ids": open_ids,
        "more_open": max(open_count - len(open_ids), 0),
        "unlabelled": unlabelled,
        "done": open_count == 0 and unlabelled == 0,
        "reviewed": article.state == ArticleState.REVIEWED,
    }


# --- rendering -------------------------------------------------------------------------------


def _next_article_url() -> str | None:
    try:
        return reverse("next_article")
    except NoReverseMatch:
        return None


def _base_context(request: HttpRequest, article: Article) -> dict[str, Any]:
    return {
        "article": article,
        "can_act": can_act(request.user, article),
        "held_by_other": article.held_by_other(request.user),
        "labels": LABEL_KEYS,
        "next_article_url": _next_article_url(),
        "review_url": reverse("review", args=[article.pk]),
    }


def _page_context(request: HttpRequest, article: Article, **extra: Any) -> dict[str, Any]:
    sentences = list(article.sentences.order_by("index").defer("pipeline", "pipeline_version", "reviewed_at"))
    # the proposal as first made (JSON) and the bookkeeping columns are not shown here
    attributions = list(article.attributions.for_review().defer(*PAGE_DEFERRED))
    highlight(article.body, sentences, attributions)
    decorate(attributions, article.body)
    open_conf = [a for a in attributions if a.review_state == ReviewState.PROPOSED and a.confidence is not None]
    weakest = min(open_conf, key=lambda a: a.confidence).pk if open_conf else None
    edit_id = extra.pop("edit_id", None)
    context = {
        **_base_context(request, article),
        "sentences": sentences,
        "attributions": attributions,
        "weakest_id": weakest,
        "edit_id": edit_id,
        "progress": _progress_from(article, attributions, sentences),
        "add_form": AttributionAddForm(auto_id="add_%s"),
        "source_types": SourceType.choices,
        "quote_kinds": QuoteKind.choices,
        "body_plain": not sentences,
    }
    edit_errors = extra.pop("edit_errors", None)
    markup = Markup(request, article, weakest_id=weakest)
    # joined here: one template variable for all rows is much cheaper than a partial per row
    context["sentences_html"] = mark_safe("".join(markup.sentence(s) for s in sentences))  # noqa: S308
    options, cards = [], []
    for a in attributions:
        editor = ""
        if a.pk == edit_id and context["can_act"]:
            _open_editor(a, edit_errors)
            editor = _editor_html(request, a)
        cards.append(markup.card(a, editor=editor))
        label = _truncate(a.source_text or a.cue_text, 40)
        options.append(f'<option value="{a.pk}">{_e(label)}</option>')
    context["attribution_options"] = mark_safe("".join(options))  # noqa: S308 -- escaped above
    context["cards_html"] = mark_safe("".join(cards))  # noqa: S308 -- escaped by Markup
    context.update(extra)
    return context


SPAN_LABELS = {"source": "Source", "cue": "Cue", "content": "Content", "anon_justification": "Why anonymous"}


def _correct_form_for(a: Attribution) -> AttributionCorrectForm:
    initial = {name: getattr(a, name) for name in AttributionCorrectForm.base_fields if hasattr(a, name)}
    initial["speaker_ref"] = a.speaker_ref_id
    initial["version"] = a.version
    initial.pop("nudge", None)
    return AttributionCorrectForm(initial=initial, auto_id=f"a{a.pk}_%s")


def _open_editor(a: Attribution, form: AttributionCorrectForm | None = None) -> None:
    """Open the card's correction form (``form`` bound with errors, or filled from the attribution)."""
    form = form or _correct_form_for(a)
    a.edit_form = form
    a.span_fields = [(role, SPAN_LABELS[role], form[f"{role}_start"], form[f"{role}_end"]) for role in SPAN_ROLES]


def _sentences_between(article: Article, ranges: Iterable[tuple[int, int] | None]) -> list[Sentence]:
    """The sentences the given body ranges touch, highlighted afresh."""
    ranges = [r for r in ranges if r is not None]
    if not ranges:
        return []
    lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    sentences = list(article.sentences.filter(end__gt=lo, start__lt=hi).order_by("index"))
    if sentences:
        lo, hi = sentences[0].start, sentences[-1].end
        overlapping = Q()
        for role in SPAN_ROLES:
            overlapping |= Q(**{f"{role}_start__lt": hi, f"{role}_end__gt": lo})
        live = (article.attributions.filter(overlapping).exclude(review_state=ReviewState.REJECTED)).only(
            "pk",
            "article_id",
            "source_type",
            "review_state",
            *(f"{role}_{edge}" for role in SPAN_ROLES for edge in ("start", "end")),
        )
        highlight(article.body, sentences, live)
    return sentences


def _fragments(
    request: HttpRequest,
    base: dict[str, Any],
    parts: list[tuple[str, dict[str, Any]]],
    *,
    status: int = 200,
    trigger: dict | None = None,
) -> HttpResponse:
    html = "".join(render_to_string(f"{TEMPLATE}#{name}", {**base, **ctx}, request=request) for name, ctx in parts)
    response = HttpResponse(html, status=status)
    if trigger:
        response["HX-Trigger"] = json.dumps(trigger)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _conflict_html(request: HttpRequest, conflict: dict | None) -> str:
    if not conflict:
        return ""
    return render_to_string(f"{TEMPLATE}#conflict", {"conflict": conflict}, request=request)


def _editor_html(request: HttpRequest, a: Attribution) -> str:
    form = getattr(a, "edit_form", None)
    if form is None:
        return ""
    return render_to_string(f"{TEMPLATE}#edit_form", {"attribution": a, "form": form}, request=request)


def _card_part(
    request: HttpRequest,
    a: Attribution,
    article: Article,
    *,
    oob: bool = False,
    oob_swap: str = "",
    conflict: dict | None = None,
) -> tuple[str, dict[str, Any]]:
    decorate([a], article.body)
    a.card_html = Markup(request, article).card(
        a, oob=oob, oob_swap=oob_swap, conflict=_conflict_html(request, conflict), editor=_editor_html(request, a)
    )
    return ("card", {"attribution": a})


def _sentence_parts(
    request: HttpRequest,
    article: Article,
    sentences: list[Sentence],
    *,
    oob: bool = True,
    conflict: dict | None = None,
) -> list[tuple[str, dict]]:
    markup = Markup(request, article)
    conflict_html = _conflict_html(request, conflict)
    for s in sentences:
        s.row_html = markup.sentence(s, oob=oob, conflict=conflict_html)
    return [("sentence", {"sentence": s}) for s in sentences]


def _conflict(exc: services.StaleVersionError) -> dict[str, Any]:
    event = exc.last_event
    return {
        "by": str(event.actor) if event and event.actor else "someone",
        "action": event.action if event else "change",
        "when": event.created_at if event else None,
    }


def _redirect(article: Article, anchor: str = "", query: str = "") -> HttpResponseRedirect:
    url = reverse("review", args=[article.pk]) + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")
    return HttpResponseRedirect(url)


def _full_page(request: HttpRequest, article: Article, *, status: int = 200, **extra: Any) -> HttpResponse:
    article = Article.objects.select_related("outlet", "assignee", "reviewed_by").get(pk=article.pk)
    response = render(request, TEMPLATE, _page_context(request, article, **extra), status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- the page ---------------------------------------------------------------------------------


@require_GET
@editor_required
def review(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.select_related("outlet", "assignee", "reviewed_by"), pk=pk)
    try:
        edit_id = int(request.GET.get("edit", ""))
    except ValueError:
        edit_id = None
    template_name = TEMPLATE
    if request.htmx:
        template_name += "#review"
    response = render(request, template_name, _page_context(request, article, edit_id=edit_id))
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@editor_required
def attribution_card(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One card, read-only or with its correction form open (``?edit=1``)."""
    attribution = get_object_or_404(Attribution.objects.select_related("article", "reviewed_by"), pk=pk)
    article = attribution.article
    editing = request.GET.get("edit") == "1" and can_act(request.user, article)
    if not request.htmx:
        return _redirect(article, f"attribution-{pk}", f"edit={pk}" if editing else "")
    if editing:
        _open_editor(attribution)
    base = _base_context(request, article)
    return _fragments(request, base, [_card_part(request, attribution, article)])


# --- attribution actions --------------------------------------------------------------------


def _after_attribution_change(
    request: HtmxHttpRequest,
    article: Article,
    pk: int,
    *,
    old_range: tuple[int, int] | None,
    action: str,
    message: str,
    keep_editing: bool = False,
    attribution: Attribution | None = None,
    redraw_sentences: bool = True,
) -> HttpResponse:
    if not request.htmx:
        messages.success(request, message)
        return _redirect(article, f"attribution-{pk}", f"edit={pk}" if keep_editing else "")
    if attribution is not None and attribution.reviewed_by_id == request.user.pk:
        attribution.reviewed_by = request.user  # as the service left it: no need to read it again
    else:
        attribution = Attribution.objects.for_review().get(pk=pk)
    if keep_editing:
        _open_editor(attribution)
    progress = _progress_query(article)
    base = _base_context(request, article)
    sentences = _sentences_between(article, [old_range, _span_range(attribution)]) if redraw_sentences else []
    parts = [
        _card_part(request, attribution, article),
        *_sentence_parts(request, article, sentences),
        ("progress", {"progress": progress, "oob": True}),
    ]
    trigger = {"attribution-changed": {"id": pk, "state": attribution.review_state, "action": action}}
    return _fragments(request, base, parts, trigger=trigger)


def _stale_attribution(request: HtmxHttpRequest, article: Article, exc: services.StaleVersionError) -> HttpResponse:
    """409: nothing written; show the attribution as it now is and who changed it."""
    conflict = _conflict(exc)
    pk = exc.obj.pk
    if not request.htmx:
        return _full_page(request, article, status=409, conflict=conflict, conflict_anchor=f"attribution-{pk}")
    attribution = Attribution.objects.for_review().get(pk=pk)
    base = _base_context(request, article)
    sentences = _sentences_between(article, [_span_range(attribution)])
    parts = [
        _card_part(request, attribution, article, conflict=conflict),
        *_sentence_parts(request, article, sentences),
        ("progress", {"progress": _progress_query(article), "oob": True}),
    ]
    trigger = {"attribution-conflict": {"id": pk, "by": conflict["by"], "state": attribution.review_state}}
    return _fragments(request, base, parts, status=409, trigger=trigger)


def _invalid_card(request: HtmxHttpRequest, article: Article, attribution: Attribution, form) -> HttpResponse:
    """422: the correction form again with its errors; nothing written."""
    if not request.htmx:
        return _full_page(request, article, status=422, edit_id=attribution.pk, edit_errors=form)
    attribution = Attribution.objects.for_review().get(pk=attribution.pk)
    _open_editor(attribution, form)
    base = _base_context(request, article)
    return _fragments(request, base, [_card_part(request, attribution, article)], status=422)


def _decision(request: HtmxHttpRequest, pk: int, service: Callable[..., Attribution], action: str) -> HttpResponse:
    attribution = _attribution_for_action(request, pk)
    article = attribution.article
    form = VersionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        return HttpResponse("The form must carry the version you saw.", status=400)
    old_range = _span_range(attribution)
    # the marks in the text only change when the attribution leaves or comes back from "rejected"
    redraw = action == "reject" or attribution.review_state == ReviewState.REJECTED
    try:
        updated = service(attribution_id=pk, user=request.user, version=form.cleaned_data["version"])
    except services.StaleVersionError as exc:
        return _stale_attribution(request, article, exc)
    label = "Confirmed" if action == "confirm" else "Rejected"
    return _after_attribution_change(
        request,
        article,
        updated.pk,
        old_range=old_range,
        action=action,
        message=f"{label} attribution {pk}.",
        attribution=updated,
        redraw_sentences=redraw,
    )


@require_POST
@editor_required
def attribution_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, services.attribution_confirm, "confirm")


@require_POST
@editor_required
def attribution_reject(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _decision(request, pk, services.attribution_reject, "reject")


def _nudge(body: str, changes: dict[str, Any], edge: str, step: int) -> None:
    """Move one span edge to the next (or previous) token boundary."""
    role, side = edge.rsplit("_", 1)
    start, end = changes.get(f"{role}_start"), changes.get(f"{role}_end")
    if start is None or end is None:
        raise ValidationError({f"{role}_start": "Set both ends of this span before moving them."})
    tokens = [(m.start(), m.end()) for m in TOKEN.finditer(body)]
    starts, ends = [t[0] for t in tokens], [t[1] for t in tokens]
    if side == "start":
        if step < 0:
            i = bisect_left(starts, start) - 1
            new = starts[i] if i >= 0 else start
        else:
            i = bisect_right(starts, start)
            new = starts[i] if i < len(starts) and starts[i] < end else start
    elif step > 0:
        i = bisect_right(ends, end)
        new = ends[i] if i < len(ends) else end
    else:
        i = bisect_left(ends, end) - 1
        new = ends[i] if i >= 0 and ends[i] > start else end
    changes[edge] = new


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            if field == "justification":
                target = "anon_justification_start"
            for error in errors:
                form.add_error(target, error)
    else:
        for error in exc.error_list:
            form.add_error(None, error)


@require_POST
@editor_required
def attribution_correct(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    attribution = _attribution_for_action(request, pk)
    article = attribution.article
    form = AttributionCorrectForm(request.POST, auto_id=f"a{pk}_%s")
    if not form.is_valid() or form.cleaned_data["version"] is None:
        if form.is_valid():
            form.add_error(None, "The form must carry the version you saw.")
        return _invalid_card(request, article, attribution, form)
    changes = form.changes()
    nudge = form.cleaned_data.get("nudge")
    old_range = _span_range(attribution)
    try:
        if nudge:
            _nudge(article.body, changes, *nudge)
        services.attribution_correct(
            attribution_id=pk, user=request.user, version=form.cleaned_data["version"], changes=changes
        )
    except services.StaleVersionError as exc:
        return _stale_attribution(request, article, exc)
    except ValidationError as exc:
        _form_errors(form, exc)
        return _invalid_card(request, article, attribution, form)
    return _after_attribution_change(
        request,
        article,
        pk,
        old_range=old_range,
        action="correct",
        message=f"Corrected attribution {pk}.",
        keep_editing=bool(nudge),
    )


@require_POST
@editor_required
def attribution_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A span selected in the body: a new attribution, or a span given to an existing one (``target``)."""
    article = _article_for_action(request, pk)
    form = AttributionAddForm(request.POST, auto_id="add_%s")
    target = None
    try:
        if not form.is_valid():
            raise ValidationError("")
        data = form.cleaned_data
        role = data["role"]
        span = {f"{role}_start": data["start"], f"{role}_end": data["end"]}
        if data.get("target"):
            target = get_object_or_404(Attribution, pk=data["target"], article=article)
            old_range = _span_range(target)
            services.attribution_correct(
                attribution_id=target.pk, user=request.user, version=data.get("version"), changes=span
            )
            new_pk = target.pk
        else:
            fields = {"source_type": data["source_type"], "quote_kind": data.get("quote_kind") or "", **span}
            new_pk = services.attribution_add(article_id=article.pk, user=request.user, fields=fields).pk
    except services.StaleVersionError as exc:
        return _stale_attribution(request, article, exc)
    except ValidationError as exc:
        if exc.messages != [""]:
            _form_errors(form, exc)
        if not request.htmx:
            return _full_page(request, article, status=422, add_form=form)
        base = _base_context(request, article)
        return _fragments(request, base, [("add_panel", {"add_form": form})], status=422)

    if not request.htmx:
        messages.success(request, f"Added attribution {new_pk}." if target is None else f"Added a span to {new_pk}.")
        return _redirect(article, f"attribution-{new_pk}")
    attribution = Attribution.objects.for_review().get(pk=new_pk)
    base = _base_context(request, article)
    oob_swap = ""
    if target is None:
        ids = list(article.attributions.in_reading_order().values_list("pk", flat=True))
        position = ids.index(new_pk)
        following = ids[position + 1] if position + 1 < len(ids) else None
        oob_swap = f"beforebegin:#attribution-{following}" if following else "beforeend:#cards"
        ranges = [_span_range(attribution)]
        trigger = {"attribution-added": {"id": new_pk, "state": attribution.review_state}}
    else:
        ranges = [old_range, _span_range(attribution)]
        trigger = {"attribution-changed": {"id": new_pk, "state": attribution.review_state, "action": "correct"}}
    parts = [
        ("add_panel", {"add_form": AttributionAddForm(auto_id="add_%s"), "added": attribution}),
        _card_part(request, attribution, article, oob=True, oob_swap=oob_swap),
        *_sentence_parts(request, article, _sentences_between(article, ranges)),
        ("progress", {"progress": _progress_query(article), "oob": True}),
    ]
    return _fragments(request, base, parts, trigger=trigger)


# --- sentences ---------------------------------------------------------------------------------


@require_POST
@editor_required
def sentence_label(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    sentence = get_object_or_404(Sentence.objects.select_related("article"), pk=pk)
    article = sentence.article
    _require_act(request.user, article)
    form = SentenceLabelForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        return HttpResponse("Choose a label; the form must carry the version you saw.", status=400)
    conflict = None
    try:
        services.sentence_label_set(
            sentence_id=pk, user=request.user, version=form.cleaned_data["version"], label=form.cleaned_data["label"]
        )
    except services.StaleVersionError as exc:
        conflict = _conflict(exc)
    if not request.htmx:
        if conflict:
            return _full_page(request, article, status=409, conflict=conflict, conflict_anchor=f"sentence-{pk}")
        messages.success(request, "Sentence label saved.")
        return _redirect(article, f"sentence-{pk}")
    sentences = _sentences_between(article, [(sentence.start, sentence.end)])
    base = _base_context(request, article)
    fresh = next(s for s in sentences if s.pk == pk)
    parts = [
        *_sentence_parts(request, article, [fresh], oob=False, conflict=conflict),
        ("progress", {"progress": _progress_query(article), "oob": True}),
    ]
    if conflict:
        trigger = {"sentence-conflict": {"id": pk, "by": conflict["by"], "label": fresh.label}}
        return _fragments(request, base, parts, status=409, trigger=trigger)
    return _fragments(request, base, parts, trigger={"sentence-labelled": {"id": pk, "label": fresh.label}})


# --- the article as a whole: undo, mark reviewed -------------------------------------------


@require_POST
@editor_required
def undo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = _article_for_action(request, pk)
    try:
        event = services.article_undo_last(article_id=article.pk, user=request.user)
    except services.ConflictError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return _redirect(article, "progress")
        base = _base_context(request, article)
        ctx = {"progress": _progress_query(article), "notice": str(exc)}
        return _fragments(request, base, [("progress", ctx)], status=409)
    anchor = f"{event.object_type}-{event.object_id}"
    if not request.htmx:
        messages.success(request, "Undone.")
        return _redirect(article, anchor)
    base = _base_context(request, article)
    parts: list[tuple[str, dict]] = [("progress", {"progress": _progress_query(article), "notice": "Undone."})]
    state = None
    if event.object_type == "attribution":
        attribution = Attribution.objects.for_review().filter(pk=event.object_id).first()
        if attribution is None:
            parts.append(("card_gone", {"gone_id": event.object_id}))
        else:
            parts.append(_card_part(request, attribution, article, oob=True))
            state = attribution.review_state
        ranges = [_span_range(event.before), _span_range(attribution)]
    else:
        sentence = Sentence.objects.get(pk=event.object_id)
        ranges = [(sentence.start, sentence.end)]
        state = sentence.label
    parts.extend(_sentence_parts(request, article, _sentences_between(article, ranges)))
    trigger = {"undone": {"object_type": event.object_type, "id": event.object_id, "state": state}}
    return _fragments(request, base, parts, trigger=trigger)


@require_POST
@editor_required
def mark_reviewed(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = _article_for_action(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        return HttpResponse("The form must carry the version you saw.", status=400)
    notice = None
    try:
        article = services.article_mark_reviewed(
            article_id=article.pk, user=request.user, version=form.cleaned_data["version"]
        )
    except services.StaleVersionError as exc:
        conflict = _conflict(exc)
        notice = f"Not saved: {conflict['by']} changed this article ({conflict['action']})."
    except services.ConflictError as exc:
        notice = f"Not yet: {exc}"
    if not request.htmx:
        if notice:
            messages.error(request, notice)
        else:
            messages.success(request, "Article marked reviewed.")
        return _redirect(article, "progress")
    if notice:
        article = Article.objects.select_related("reviewed_by").get(pk=article.pk)
        base = _base_context(request, article)
        ctx = {"progress": _progress_query(article), "notice": notice}
        return _fragments(request, base, [("progress", ctx)], status=409)
    # Reviewed: the whole review region again, so cards and the add panel lose the actions this role
    # no longer has on a reviewed article (standards editors keep theirs).
    article = Article.objects.select_related("outlet", "assignee", "reviewed_by").get(pk=article.pk)
    response = render(request, f"{TEMPLATE}#review", _page_context(request, article, notice="Article marked reviewed."))
    response["HX-Retarget"] = "#review"
    response["HX-Reswap"] = "outerHTML"
    response["HX-Trigger"] = json.dumps({"article-reviewed": {"id": article.pk, "state": article.state}})
    patch_vary_headers(response, ("HX-Request",))
    return response


__all__ = [
    "attribution_add",
    "attribution_card",
    "attribution_confirm",
    "attribution_correct",
    "attribution_reject",
    "highlight",
    "mark_reviewed",
    "review",
    "sentence_label",
    "undo",
]
