"""The review page's actions on a sentence (its label) and on the article as a whole (undo, mark reviewed)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from annotations import services
from annotations.forms import SentenceLabelForm, VersionForm
from annotations.models import Article, ArticleState, Attribution, Sentence
from annotations.permissions import editor_required
from annotations.views.common import HtmxHttpRequest
from annotations.views.review_context import (
    base_context,
    card_part,
    conflict_of,
    fragments,
    full_page,
    page_context,
    progress_query,
    redirect_to,
    sentence_parts,
    sentences_between,
)
from annotations.views.review_render import TEMPLATE, span_range
from annotations.views.review_rules import article_for_action, require_act

# --- sentences ---------------------------------------------------------------------------------


@require_POST
@editor_required
def sentence_label(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    sentence = get_object_or_404(Sentence.objects.select_related("article"), pk=pk)
    article = sentence.article
    require_act(request.user, article)
    form = SentenceLabelForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        return HttpResponse("Choose a label; the form must carry the version you saw.", status=400)
    conflict = None
    try:
        services.sentence_label_set(
            sentence_id=pk, user=request.user, version=form.cleaned_data["version"], label=form.cleaned_data["label"]
        )
    except services.StaleVersionError as exc:
        conflict = conflict_of(exc)
    if not request.htmx:
        if conflict:
            return full_page(request, article, status=409, conflict=conflict, conflict_anchor=f"sentence-{pk}")
        messages.success(request, "Sentence label saved.")
        return redirect_to(article, f"sentence-{pk}")
    sentences = sentences_between(article, [(sentence.start, sentence.end)])
    base = base_context(request, article)
    fresh = next(s for s in sentences if s.pk == pk)
    parts = [
        *sentence_parts(request, article, [fresh], oob=False, conflict=conflict),
        ("progress", {"progress": progress_query(article), "oob": True}),
    ]
    if conflict:
        trigger = {"sentence-conflict": {"id": pk, "by": conflict["by"], "label": fresh.label}}
        return fragments(request, base, parts, status=409, trigger=trigger)
    return fragments(request, base, parts, trigger={"sentence-labelled": {"id": pk, "label": fresh.label}})


# --- the article as a whole: undo, mark reviewed -------------------------------------------


@require_POST
@editor_required
def undo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = article_for_action(request, pk)
    try:
        event = services.article_undo_last(article_id=article.pk, user=request.user)
    except services.ConflictError as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return redirect_to(article, "progress")
        base = base_context(request, article)
        ctx = {"progress": progress_query(article), "notice": str(exc)}
        return fragments(request, base, [("progress", ctx)], status=409)
    anchor = f"{event.object_type}-{event.object_id}"
    if not request.htmx:
        messages.success(request, "Undone.")
        return redirect_to(article, anchor)
    base = base_context(request, article)
    parts: list[tuple[str, dict]] = [("progress", {"progress": progress_query(article), "notice": "Undone."})]
    state = None
    if event.object_type == "attribution":
        attribution = Attribution.objects.for_review().filter(pk=event.object_id).first()
        if attribution is None:
            parts.append(("card_gone", {"gone_id": event.object_id}))
        else:
            parts.append(card_part(request, attribution, article, oob=True))
            state = attribution.review_state
        ranges = [span_range(event.before), span_range(attribution)]
    else:
        sentence = Sentence.objects.get(pk=event.object_id)
        ranges = [(sentence.start, sentence.end)]
        state = sentence.label
    parts.extend(sentence_parts(request, article, sentences_between(article, ranges)))
    trigger = {"undone": {"object_type": event.object_type, "id": event.object_id, "state": state}}
    return fragments(request, base, parts, trigger=trigger)


@require_POST
@editor_required
def mark_reviewed(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = article_for_action(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        return HttpResponse("The form must carry the version you saw.", status=400)
    notice = None
    try:
        article = services.article_mark_reviewed(
            article_id=article.pk, user=request.user, version=form.cleaned_data["version"]
        )
    except services.StaleVersionError as exc:
        conflict = conflict_of(exc)
        notice = f"Not saved: {conflict['by']} changed this article ({conflict['action']})."
    except services.ConflictError as exc:
        notice = f"Not yet: {exc}"
    if not request.htmx:
        if notice:
            messages.error(request, notice)
        elif article.state == ArticleState.LAYER:
            messages.success(request, "Your review is submitted.")
        else:
            messages.success(request, "Article marked reviewed.")
        return redirect_to(article, "progress")
    if notice:
        article = Article.objects.select_related("reviewed_by").get(pk=article.pk)
        base = base_context(request, article)
        ctx = {"progress": progress_query(article), "notice": notice}
        return fragments(request, base, [("progress", ctx)], status=409)
    # Reviewed: the whole review region again, so cards and the add panel lose the actions this role
    # no longer has on a reviewed article (standards editors keep theirs).
    article = Article.objects.select_related("outlet", "assignee", "reviewed_by").get(pk=article.pk)
    notice = "Your review is submitted." if article.state == ArticleState.LAYER else "Article marked reviewed."
    response = render(request, f"{TEMPLATE}#review", page_context(request, article, notice=notice))
    response["HX-Retarget"] = "#review"
    response["HX-Reswap"] = "outerHTML"
    response["HX-Trigger"] = json.dumps({"article-reviewed": {"id": article.pk, "state": article.state}})
    patch_vary_headers(response, ("HX-Request",))
    return response
