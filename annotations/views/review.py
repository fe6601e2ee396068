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
from html import escape
from itertools import pairwise
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from annotations import services
from annotations.forms import AttributionAddForm, AttributionCorrectForm, SentenceLabelForm, VersionForm
from annotations.models import (
    Article,
    ArticleState,
    Attribution,
    Event,
    QuoteKind,
    ReviewState,
    Sentence,
    SentenceLabel,
    SourceType,
)
from annotations.permissions import editor_required
from annotations.roles import is_standards

TEMPLATE = "review.html"
SPAN_ROLES = ("source", "cue", "content", "anon_justification")
ROLE_CLASS = {"source": "r-src", "cue": "r-cue", "content": "r-con", "anon_justification": "r-why"}
CHECK_BELOW = 0.5  # proposals less sure than this are flagged "check"
LABEL_KEYS = [  # (value, text, key, short)
    (SentenceLabel.SOURCED, SentenceLabel.SOURCED.label, "1", "Sourced"),
    (SentenceLabel.UNSOURCED_CLAIM, SentenceLabel.UNSOURCED_CLAIM.label, "2", "Unsourced"),
    (SentenceLabel.NO_CLAIM, SentenceLabel.NO_CLAIM.label, "3", "No claim"),
    (SentenceLabel.BOILERPLATE, SentenceLabel.BOILERPLATE.label, "4", "Boilerplate"),
]
TOKEN = re.compile(r"\w+|[^\w\s]")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# --- object-level rules -------------------------------------------------------------------


def can_act(user, article: Article) -> bool:
    """Editors act on reviewable articles; standards editors also on reviewed ones."""
    if article.state in (ArticleState.PREPASSED, ArticleState.IN_REVIEW):
        return True
    return article.state == ArticleState.REVIEWED and is_standards(user)


def _require_act(user, article: Article) -> None:
    if not can_act(user, article):
        raise PermissionDenied("This article cannot be changed by your role in its current state.")


def _article_for_action(request: HttpRequest, pk: int) -> Article:
    article = get_object_or_404(Article, pk=pk)
    _require_act(request.user, article)
    return article


def _attribution_for_action(request: HttpRequest, pk: int) -> Attribution:
    attribution = get_object_or_404(Attribution.objects.select_related("article"), pk=pk)
    _require_act(request.user, attribution.article)
    return attribution


# --- highlighting: the body as sentences of non-overlapping marked segments ----------------


def _intervals(attributions: Iterable[Attribution]) -> list[tuple[int, int, str, Attribution]]:
    out = []
    for a in attributions:
        if a.review_state == ReviewState.REJECTED:
            continue
        for role in SPAN_ROLES:
            start, end = getattr(a, f"{role}_start"), getattr(a, f"{role}_end")
            if start is not None and end is not None and start < end:
                out.append((start, end, role, a))
    return out


def _segment_html(text: str, start: int, active: list[tuple[int, int, str, Attribution]]) -> str:
    if not active:
        return escape(text, quote=False)
    roles = {iv[2] for iv in active}
    sources = [iv for iv in active if iv[2] == "source"]
    owner = (sources or active)[0][3]
    classes = ["m", *(ROLE_CLASS[r] for r in SPAN_ROLES if r in roles), f"t-{owner.source_type}"]
    if any(iv[0] == start for iv in sources):
        classes.append("src-start")
    ids = " ".join(str(pk) for pk in sorted({iv[3].pk for iv in active}))
    return f'<mark class="{" ".join(classes)}" data-a="{ids}">{escape(text, quote=False)}</mark>'


def highlight(body: str, sentences: list[Sentence], attributions: Iterable[Attribution]) -> None:
    """Give each sentence ``.html``: its text cut at every span edge, each piece marked with the roles covering it.

    One sweep over the sorted edges: O(E log E + S·k) for E edges, S segments and k overlapping spans.
    """
    intervals = _intervals(attributions)
    opening: dict[int, list] = defaultdict(list)
    closing: dict[int, list] = defaultdict(list)
    points = set()
    for iv in intervals:
        opening[iv[0]].append(iv)
        closing[iv[1]].append(iv)
        points.update((iv[0], iv[1]))
    for s in sentences:
        points.update((s.start, s.end))
    ordered = sorted(points)
    active: dict[int, tuple] = {}
    by_sentence = iter(sorted(sentences, key=lambda s: s.start))
    sentence = next(by_sentence, None)
    parts: list[str] = []
    for p, q in pairwise(ordered):
        for iv in closing.get(p, ()):
            active.pop(id(iv), None)
        for iv in opening.get(p, ()):
            active[id(iv)] = iv
        while sentence is not None and p >= sentence.end:
            sentence.html = mark_safe("".join(parts))  # noqa: S308 -- every piece escaped above
            parts = []
            sentence = next(by_sentence, None)
        if sentence is None:
            break
        if p >= sentence.start:
            parts.append(_segment_html(body[p:q], p, list(active.values())))
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


def _progress_query(article: Article) -> dict[str, Any]:
    counts = article.attributions.aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(review_state=ReviewState.PROPOSED))
    )
    open_ids = list(
        article.attributions.filter(review_state=ReviewState.PROPOSED).in_reading_order().values_list("pk", flat=True)[
            :12
        ]
    )
    unlabelled = article.sentences.filter(label="").count()
    return _progress_dict(
        article, total=counts["total"], open_count=counts["open"], open_ids=open_ids, unlabelled=unlabelled
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
        "labels": LABEL_KEYS,
        "next_article_url": _next_article_url(),
        "review_url": reverse("review", args=[article.pk]),
    }


def _page_context(request: HttpRequest, article: Article, **extra: Any) -> dict[str, Any]:
    sentences = list(article.sentences.order_by("index"))
    attributions = list(article.attributions.for_review())
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
    for a in attributions:
        if a.pk == edit_id and context["can_act"]:
            _open_editor(a, edit_errors)
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
        live = article.attributions.exclude(review_state=ReviewState.REJECTED).only(
            "pk", "article_id", "source_type", "review_state",
            *(f"{role}_{edge}" for role in SPAN_ROLES for edge in ("start", "end")),
        )
        highlight(article.body, sentences, live)
    return sentences


def _fragments(
    request: HttpRequest, base: dict[str, Any], parts: list[tuple[str, dict[str, Any]]], *,
    status: int = 200, trigger: dict | None = None,
) -> HttpResponse:
    html = "".join(render_to_string(f"{TEMPLATE}#{name}", {**base, **ctx}, request=request) for name, ctx in parts)
    response = HttpResponse(html, status=status)
    if trigger:
        response["HX-Trigger"] = json.dumps(trigger)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _card_ctx(a: Attribution, article: Article, **extra: Any) -> dict[str, Any]:
    decorate([a], article.body)
    return {"attribution": a, **extra}


def _sentence_parts(sentences: list[Sentence], *, oob: bool = True) -> list[tuple[str, dict]]:
    return [("sentence", {"sentence": s, "oob": oob}) for s in sentences]


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
    return _fragments(request, base, [("card", _card_ctx(attribution, article))])


# --- attribution actions --------------------------------------------------------------------


def _after_attribution_change(
    request: HtmxHttpRequest, article: Article, pk: int, *, old_range: tuple[int, int] | None, action: str,
    message: str, keep_editing: bool = False,
) -> HttpResponse:
    if not request.htmx:
        messages.success(request, message)
        return _redirect(article, f"attribution-{pk}", f"edit={pk}" if keep_editing else "")
    attribution = Attribution.objects.for_review().get(pk=pk)
    if keep_editing:
        _open_editor(attribution)
    article.refresh_from_db(fields=["state", "version"])
    base = _base_context(request, article)
    sentences = _sentences_between(article, [old_range, _span_range(attribution)])
    parts = [
        ("card", _card_ctx(attribution, article)),
        *_sentence_parts(sentences),
        ("progress", {"progress": _progress_query(article), "oob": True}),
    ]
    trigger = {"attribution-changed": {"id": pk, "state": attribution.review_state, "action": action}}
    return _fragments(request, base, parts, trigger=trigger)


def _stale_attribution(
    request: HtmxHttpRequest, article: Article, exc: services.StaleVersionError
) -> HttpResponse:
    """409: nothing written; show the attribution as it now is and who changed it."""
    conflict = _conflict(exc)
    pk = exc.obj.pk
    if not request.htmx:
        return _full_page(request, article, status=409, conflict=conflict, conflict_anchor=f"attribution-{pk}")
    attribution = Attribution.objects.for_review().get(pk=pk)
    base = _base_context(request, article)
    sentences = _sentences_between(article, [_span_range(attribution)])
    parts = [
        ("card", _card_ctx(attribution, article, conflict=conflict)),
        *_sentence_parts(sentences),
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
    return _fragments(request, base, [("card", _card_ctx(attribution, article))], status=422)


def _decision(request: HtmxHttpRequest, pk: int, service: Callable[..., Attribution], action: str) -> HttpResponse:
    attribution = _attribution_for_action(request, pk)
    article = attribution.article
    form = VersionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        return HttpResponse("The form must carry the version you saw.", status=400)
    old_range = _span_range(attribution)
    try:
        updated = service(attribution_id=pk, user=request.user, version=form.cleaned_data["version"])
    except services.StaleVersionError as exc:
        return _stale_attribution(request, article, exc)
    label = "Confirmed" if action == "confirm" else "Rejected"
    return _after_attribution_change(
        request, article, updated.pk, old_range=old_range, action=action, message=f"{label} attribution {pk}."
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
        request, article, pk, old_range=old_range, action="correct",
        message=f"Corrected attribution {pk}.", keep_editing=bool(nudge),
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
    card = _card_ctx(attribution, article, oob=True)
    if target is None:
        ids = list(article.attributions.in_reading_order().values_list("pk", flat=True))
        position = ids.index(new_pk)
        following = ids[position + 1] if position + 1 < len(ids) else None
        card["oob_swap"] = f"beforebegin:#attribution-{following}" if following else "beforeend:#cards"
        ranges = [_span_range(attribution)]
        trigger = {"attribution-added": {"id": new_pk, "state": attribution.review_state}}
    else:
        ranges = [old_range, _span_range(attribution)]
        trigger = {"attribution-changed": {"id": new_pk, "state": attribution.review_state, "action": "correct"}}
    article.refresh_from_db(fields=["state", "version"])
    parts = [
        ("add_panel", {"add_form": AttributionAddForm(auto_id="add_%s"), "added": attribution}),
        ("card", card),
        *_sentence_parts(_sentences_between(article, ranges)),
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
    article.refresh_from_db(fields=["state", "version"])
    sentences = _sentences_between(article, [(sentence.start, sentence.end)])
    base = _base_context(request, article)
    fresh = next(s for s in sentences if s.pk == pk)
    parts = [
        ("sentence", {"sentence": fresh, "conflict": conflict}),
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
    article.refresh_from_db(fields=["state", "version"])
    base = _base_context(request, article)
    parts: list[tuple[str, dict]] = [("progress", {"progress": _progress_query(article), "notice": "Undone."})]
    state = None
    if event.object_type == "attribution":
        attribution = Attribution.objects.for_review().filter(pk=event.object_id).first()
        if attribution is None:
            parts.append(("card_gone", {"gone_id": event.object_id}))
        else:
            parts.append(("card", _card_ctx(attribution, article, oob=True)))
            state = attribution.review_state
        ranges = [_span_range(event.before), _span_range(attribution)]
    else:
        sentence = Sentence.objects.get(pk=event.object_id)
        ranges = [(sentence.start, sentence.end)]
        state = sentence.label
    parts.extend(_sentence_parts(_sentences_between(article, ranges)))
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
    article = Article.objects.select_related("reviewed_by").get(pk=article.pk)
    base = _base_context(request, article)
    ctx = {"progress": _progress_query(article), "notice": notice}
    if notice:
        return _fragments(request, base, [("progress", ctx)], status=409)
    return _fragments(
        request, base, [("progress", ctx)], trigger={"article-reviewed": {"id": article.pk, "state": article.state}}
    )


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
