"""The review page: the article with every highlight, the attributions beside it, and each editor action.

One full page for the first load (text and every highlight in one response, a constant number of
queries); each action answers an htmx request with only the fragments it changed (the card, the
sentences its spans touch, the progress counter) as partials of ``review.html`` plus out-of-band swaps
and an ``HX-Trigger`` event, and a plain form post with a redirect back to the card (POST/redirect/GET).
The page and the attribution actions are here, the sentence and whole-article actions in ``review_article``;
contexts and fragments in ``review_context``, what each row and card shows in ``review_render``, who may
act in ``review_rules``. All markup is in the templates (``review.html``, ``jinja2/review_rows.html``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from annotations import services
from annotations.forms import AttributionAddForm, AttributionCorrectForm, VersionForm
from annotations.models import Article, Attribution, ReviewState
from annotations.permissions import editor_required
from annotations.views.common import HtmxHttpRequest
from annotations.views.double_review_rules import require_layer_visible
from annotations.views.review_article import mark_reviewed, sentence_label, undo
from annotations.views.review_context import (
    base_context,
    card_part,
    conflict_of,
    fragments,
    full_page,
    open_editor,
    page_context,
    progress_query,
    redirect_to,
    sentence_parts,
    sentences_between,
)
from annotations.views.review_render import TEMPLATE, highlight, span_range
from annotations.views.review_rules import article_for_action, attribution_for_action, can_act

TOKEN = re.compile(r"\w+|[^\w\s]")


# --- the page ---------------------------------------------------------------------------------


@require_GET
@editor_required
def review(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.select_related("outlet", "assignee", "reviewed_by"), pk=pk)
    require_layer_visible(request.user, article)  # an editor's layer of a double review: theirs alone while open
    try:
        edit_id = int(request.GET.get("edit", ""))
    except ValueError:
        edit_id = None
    template_name = TEMPLATE
    if request.htmx:
        template_name += "#review"
    response = render(request, template_name, page_context(request, article, edit_id=edit_id))
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@editor_required
def attribution_card(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One card, read-only or with its correction form open (``?edit=1``)."""
    attribution = get_object_or_404(Attribution.objects.select_related("article", "reviewed_by"), pk=pk)
    article = attribution.article
    require_layer_visible(request.user, article)
    editing = request.GET.get("edit") == "1" and can_act(request.user, article)
    if not request.htmx:
        return redirect_to(article, f"attribution-{pk}", f"edit={pk}" if editing else "")
    if editing:
        open_editor(attribution)
    base = base_context(request, article)
    return fragments(request, base, [card_part(request, attribution, article)])


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
        return redirect_to(article, f"attribution-{pk}", f"edit={pk}" if keep_editing else "")
    if attribution is not None and attribution.reviewed_by_id == request.user.pk:
        attribution.reviewed_by = request.user  # as the service left it: no need to read it again
    else:
        attribution = Attribution.objects.for_review().get(pk=pk)
    if keep_editing:
        open_editor(attribution)
    progress = progress_query(article)
    base = base_context(request, article)
    sentences = sentences_between(article, [old_range, span_range(attribution)]) if redraw_sentences else []
    parts = [
        card_part(request, attribution, article),
        *sentence_parts(request, article, sentences),
        ("progress", {"progress": progress, "oob": True}),
    ]
    trigger = {"attribution-changed": {"id": pk, "state": attribution.review_state, "action": action}}
    return fragments(request, base, parts, trigger=trigger)


def _stale_attribution(request: HtmxHttpRequest, article: Article, exc: services.StaleVersionError) -> HttpResponse:
    """409: nothing written; show the attribution as it now is and who changed it."""
    conflict = conflict_of(exc)
    pk = exc.obj.pk
    if not request.htmx:
        return full_page(request, article, status=409, conflict=conflict, conflict_anchor=f"attribution-{pk}")
    attribution = Attribution.objects.for_review().get(pk=pk)
    base = base_context(request, article)
    sentences = sentences_between(article, [span_range(attribution)])
    parts = [
        card_part(request, attribution, article, conflict=conflict),
        *sentence_parts(request, article, sentences),
        ("progress", {"progress": progress_query(article), "oob": True}),
    ]
    trigger = {"attribution-conflict": {"id": pk, "by": conflict["by"], "state": attribution.review_state}}
    return fragments(request, base, parts, status=409, trigger=trigger)


def _invalid_card(request: HtmxHttpRequest, article: Article, attribution: Attribution, form) -> HttpResponse:
    """422: the correction form again with its errors; nothing written."""
    if not request.htmx:
        return full_page(request, article, status=422, edit_id=attribution.pk, edit_errors=form)
    attribution = Attribution.objects.for_review().get(pk=attribution.pk)
    open_editor(attribution, form)
    base = base_context(request, article)
    return fragments(request, base, [card_part(request, attribution, article)], status=422)


def _decision(request: HtmxHttpRequest, pk: int, service: Callable[..., Attribution], action: str) -> HttpResponse:
    attribution = attribution_for_action(request, pk)
    article = attribution.article
    form = VersionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        return HttpResponse("The form must carry the version you saw.", status=400)
    old_range = span_range(attribution)
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
    attribution = attribution_for_action(request, pk)
    article = attribution.article
    form = AttributionCorrectForm(request.POST, auto_id=f"a{pk}_%s")
    if not form.is_valid() or form.cleaned_data["version"] is None:
        if form.is_valid():
            form.add_error(None, "The form must carry the version you saw.")
        return _invalid_card(request, article, attribution, form)
    changes = form.changes()
    nudge = form.cleaned_data.get("nudge")
    old_range = span_range(attribution)
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
    article = article_for_action(request, pk)
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
            old_range = span_range(target)
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
            return full_page(request, article, status=422, add_form=form)
        base = base_context(request, article)
        return fragments(request, base, [("add_panel", {"add_form": form})], status=422)

    if not request.htmx:
        messages.success(request, f"Added attribution {new_pk}." if target is None else f"Added a span to {new_pk}.")
        return redirect_to(article, f"attribution-{new_pk}")
    attribution = Attribution.objects.for_review().get(pk=new_pk)
    base = base_context(request, article)
    oob_swap = ""
    if target is None:
        ids = list(article.attributions.in_reading_order().values_list("pk", flat=True))
        position = ids.index(new_pk)
        following = ids[position + 1] if position + 1 < len(ids) else None
        oob_swap = f"beforebegin:#attribution-{following}" if following else "beforeend:#cards"
        ranges = [span_range(attribution)]
        trigger = {"attribution-added": {"id": new_pk, "state": attribution.review_state}}
    else:
        ranges = [old_range, span_range(attribution)]
        trigger = {"attribution-changed": {"id": new_pk, "state": attribution.review_state, "action": "correct"}}
    parts = [
        ("add_panel", {"add_form": AttributionAddForm(auto_id="add_%s"), "added": attribution}),
        card_part(request, attribution, article, oob=True, oob_swap=oob_swap),
        *sentence_parts(request, article, sentences_between(article, ranges)),
        ("progress", {"progress": progress_query(article), "oob": True}),
    ]
    return fragments(request, base, parts, trigger=trigger)


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
