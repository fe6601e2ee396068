"""The review page's contexts and htmx fragments: progress counters, the page's context, the fragments an
action answers with (cards and sentence rows from ``jinja2/review_rows.html``, the rest partials of
``review.html``), and the full page again for a request without JavaScript.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers

from annotations import services
from annotations.forms import AttributionAddForm, AttributionCorrectForm
from annotations.models import Article, ArticleState, Attribution, QuoteKind, ReviewState, Sentence, SourceType
from annotations.views.review_render import (
    LABEL_KEYS,
    SPAN_LABELS,
    SPAN_ROLES,
    TEMPLATE,
    Rows,
    decorate,
    row_macros,
    segment,
)
from annotations.views.review_rules import can_act

# the proposal as first made (JSON) and the bookkeeping columns: not shown on the page
PAGE_DEFERRED = ("proposal", "pipeline", "pipeline_version", "created_at", "updated_at", "reviewed_at")

# --- progress -------------------------------------------------------------------------------


def progress_from(article: Article, attributions: list[Attribution], sentences: list[Sentence]) -> dict[str, Any]:
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


def progress_query(article: Article) -> dict[str, Any]:
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


# --- contexts and fragments ---------------------------------------------------------------------


def _next_article_url() -> str | None:
    try:
        return reverse("next_article")
    except NoReverseMatch:
        return None


def base_context(request: HttpRequest, article: Article) -> dict[str, Any]:
    return {
        "article": article,
        "can_act": can_act(request.user, article),
        "held_by_other": article.held_by_other(request.user),
        "labels": LABEL_KEYS,
        "next_article_url": _next_article_url(),
        "review_url": reverse("review", args=[article.pk]),
    }


def page_context(request: HttpRequest, article: Article, **extra: Any) -> dict[str, Any]:
    sentences = list(article.sentences.order_by("index").defer("pipeline", "pipeline_version", "reviewed_at"))
    # the proposal as first made (JSON) and the bookkeeping columns are not shown here
    attributions = list(article.attributions.for_review().defer(*PAGE_DEFERRED))
    segment(article.body, sentences, attributions)
    decorate(attributions, article.body)
    open_conf = [a for a in attributions if a.review_state == ReviewState.PROPOSED and a.confidence is not None]
    weakest = min(open_conf, key=lambda a: a.confidence).pk if open_conf else None
    edit_id = extra.pop("edit_id", None)
    edit_errors = extra.pop("edit_errors", None)
    context = {
        **base_context(request, article),
        "attributions": attributions,
        "weakest_id": weakest,
        "edit_id": edit_id,
        "progress": progress_from(article, attributions, sentences),
        "add_form": AttributionAddForm(auto_id="add_%s"),
        "source_types": SourceType.choices,
        "quote_kinds": QuoteKind.choices,
        "body_plain": not sentences,
    }
    rows = Rows(article, weakest_id=weakest)
    cards = []
    for a in attributions:
        editor = ""
        if a.pk == edit_id and context["can_act"]:
            open_editor(a, edit_errors)
            editor = editor_html(request, a)
        cards.append(rows.card(a, editor=editor))
    macros, csrf_token = row_macros(), get_token(request)
    can = context["can_act"]
    context["sentence_rows"] = macros.sentences([rows.sentence(s) for s in sentences], can, csrf_token)
    context["card_rows"] = macros.cards(cards, can, csrf_token, context["review_url"])
    context["attribution_options"] = macros.options(cards)
    if article.state in (ArticleState.DOUBLE, ArticleState.LAYER):  # issue 15: which double review this is
        from annotations.views.double_review_rules import double_review_context

        context.update(double_review_context(request, article))
    context.update(extra)
    return context


def _correct_form_for(a: Attribution) -> AttributionCorrectForm:
    initial = {name: getattr(a, name) for name in AttributionCorrectForm.base_fields if hasattr(a, name)}
    initial["speaker_ref"] = a.speaker_ref_id
    initial["version"] = a.version
    initial.pop("nudge", None)
    return AttributionCorrectForm(initial=initial, auto_id=f"a{a.pk}_%s")


def open_editor(a: Attribution, form: AttributionCorrectForm | None = None) -> None:
    """Open the card's correction form (``form`` bound with errors, or filled from the attribution)."""
    form = form or _correct_form_for(a)
    a.edit_form = form
    a.span_fields = [(role, SPAN_LABELS[role], form[f"{role}_start"], form[f"{role}_end"]) for role in SPAN_ROLES]


def sentences_between(article: Article, ranges: Iterable[tuple[int, int] | None]) -> list[Sentence]:
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
        segment(article.body, sentences, live)
    return sentences


def fragments(
    request: HttpRequest,
    base: dict[str, Any],
    parts: list[tuple[str, dict[str, Any]]],
    *,
    status: int = 200,
    trigger: dict | None = None,
) -> HttpResponse:
    html = "".join(_render_part(request, base, name, ctx) for name, ctx in parts)
    response = HttpResponse(html, status=status)
    if trigger:
        response["HX-Trigger"] = json.dumps(trigger)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _render_part(request: HttpRequest, base: dict[str, Any], name: str, ctx: dict[str, Any]) -> str:
    """One fragment: a card or a sentence row (``review_rows.html``), else a partial of ``review.html``."""
    if name == "card":
        return row_macros().cards([ctx["card"]], base["can_act"], get_token(request), base["review_url"])
    if name == "sentence":
        return row_macros().sentences([ctx["sentence"]], base["can_act"], get_token(request))
    return render_to_string(f"{TEMPLATE}#{name}", {**base, **ctx}, request=request)


def conflict_html(request: HttpRequest, conflict: dict | None) -> str:
    """review.html's ``conflict`` partial (rendered by Django, escaped there), for a card or a sentence row."""
    if not conflict:
        return ""
    return render_to_string(f"{TEMPLATE}#conflict", {"conflict": conflict}, request=request)


def editor_html(request: HttpRequest, a: Attribution) -> str:
    """review.html's ``edit_form`` partial for a card whose editor is open (``open_editor``)."""
    form = getattr(a, "edit_form", None)
    if form is None:
        return ""
    return render_to_string(f"{TEMPLATE}#edit_form", {"attribution": a, "form": form}, request=request)


def card_part(
    request: HttpRequest,
    a: Attribution,
    article: Article,
    *,
    oob: bool = False,
    oob_swap: str = "",
    conflict: dict | None = None,
) -> tuple[str, dict[str, Any]]:
    """The ``card`` fragment for one attribution (``oob_swap``: where a new card goes, out of band)."""
    decorate([a], article.body)
    card = Rows(article).card(
        a, oob=oob, oob_swap=oob_swap, conflict=conflict_html(request, conflict), editor=editor_html(request, a)
    )
    return ("card", {"card": card})


def sentence_parts(
    request: HttpRequest,
    article: Article,
    sentences: list[Sentence],
    *,
    oob: bool = True,
    conflict: dict | None = None,
) -> list[tuple[str, dict]]:
    """The ``sentence`` fragment for each sentence (swapped in out of band unless ``oob`` is false)."""
    rows, conflict_part = Rows(article), conflict_html(request, conflict)
    return [("sentence", {"sentence": rows.sentence(s, oob=oob, conflict=conflict_part)}) for s in sentences]


def conflict_of(exc: services.StaleVersionError) -> dict[str, Any]:
    event = exc.last_event
    return {
        "by": str(event.actor) if event and event.actor else "someone",
        "action": event.action if event else "change",
        "when": event.created_at if event else None,
    }


def redirect_to(article: Article, anchor: str = "", query: str = "") -> HttpResponseRedirect:
    url = reverse("review", args=[article.pk]) + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")
    return HttpResponseRedirect(url)


def full_page(request: HttpRequest, article: Article, *, status: int = 200, **extra: Any) -> HttpResponse:
    article = Article.objects.select_related("outlet", "assignee", "reviewed_by").get(pk=article.pk)
    response = render(request, TEMPLATE, page_context(request, article, **extra), status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
