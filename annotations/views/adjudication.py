"""The side-by-side adjudication of one double-reviewed article (standards role).

Only what the editors differ on is shown: each attribution one of them kept differently (or not at all), each
sentence they labelled differently, with who chose what. The adjudicator takes one side, none, or edits (an
attribution), or picks a label; every choice is an event in the History. "Finish" writes the result into the
article, which is then reviewed like any other. htmx answers a choice with the item and the progress counter.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotations import agreement, agreement_stats, services
from annotations.forms import AttributionCorrectForm
from annotations.forms_double_review import ChoiceForm
from annotations.models import (
    AdjudicationChoice,
    AdjudicationItem,
    Article,
    Attribution,
    DoubleReview,
    DoubleReviewStage,
    QuoteKind,
    ReviewLayer,
    Seniority,
    SentenceLabel,
    SourceType,
    Specificity,
)
from annotations.permissions import standards_required
from annotations.views.common import HtmxHttpRequest, vary_on_htmx
from annotations.views.review_render import LABEL_KEYS

TEMPLATE = "adjudication.html"
FIELD_ROWS = (  # (label, the fields it shows): one row of the side-by-side table each
    ("Source type", ("source_type",)),
    ("Source", ("source_start", "source_end")),
    ("Cue", ("cue_start", "cue_end")),
    ("Content", ("content_start", "content_end")),
    ("Quote", ("quote_kind",)),
    ("Via", ("via",)),
    ("Descriptor", ("anon_descriptor",)),
    ("Seniority", ("anon_seniority",)),
    ("Number", ("anon_number",)),
    ("Specificity", ("anon_specificity",)),
    ("Why anonymous", ("anon_justification_start", "anon_justification_end")),
)
CHOICE_TEXT = {
    **dict(SourceType.choices),
    **dict(QuoteKind.choices),
    **dict(Seniority.choices),
    **dict(Specificity.choices),
}
LABEL_TEXT = dict(SentenceLabel.choices)


def _text(body: str, values: dict, fields: tuple[str, ...]) -> str:
    if len(fields) == 2:
        start, end = values.get(fields[0]), values.get(fields[1])
        return "" if start is None or end is None else f"“{body[start:end]}” [{start}, {end})"
    value = values.get(fields[0])
    return CHOICE_TEXT.get(value, value) if value else ""


def _version(body: str, values: dict | None) -> SimpleNamespace | None:
    if values is None:
        return None
    return SimpleNamespace(
        values=values,
        kind=values.get("source_type"),
        kind_text=CHOICE_TEXT.get(values.get("source_type"), values.get("source_type")),
        source=_text(body, values, ("source_start", "source_end")),
        cue=_text(body, values, ("cue_start", "cue_end")),
        content=_text(body, values, ("content_start", "content_end")),
    )


def _attribution_item(
    item: AdjudicationItem, layers: list[ReviewLayer], rows: dict[int, dict], body: str, *, editing: bool = False
):
    sides = []
    for layer in layers:
        member = (item.members or {}).get(str(layer.pk))
        values = rows.get(member) if member else None
        sides.append(SimpleNamespace(layer=layer, editor=layer.editor.get_username(), version=_version(body, values)))
    table = []
    for label, fields in FIELD_ROWS:
        cells = [_text(body, side.version.values, fields) if side.version else None for side in sides]
        given = {c for c in cells if c}  # a missing side (None) or an empty field alone is no difference to show
        if len(set(cells)) > 1 and (given or label == "Source type"):
            table.append(SimpleNamespace(label=label, cells=cells))
    form = None
    if editing:  # the adjudicator's own version: a form filled from what is kept, else the first editor's
        first = next((s.version.values for s in sides if s.version), {})
        form = _edit_form(item, item.values if item.values is not None else first)
    chosen = None
    if item.choice == AdjudicationChoice.LAYER:
        chosen = next((s.editor for s in sides if s.layer.pk == item.chosen_layer_id), None)
    return SimpleNamespace(
        item=item,
        kind="attribution",
        sides=sides,
        table=table,
        result=_version(body, item.values)
        if item.choice in (AdjudicationChoice.EDITED, AdjudicationChoice.LAYER)
        else None,
        chosen=chosen,
        form=form,
    )


def _edit_form(item: AdjudicationItem, values: dict) -> AttributionCorrectForm:
    initial = {name: values.get(name) for name in agreement.COMPARED_FIELDS}
    initial["version"] = item.version
    return AttributionCorrectForm(initial=initial, auto_id=f"i{item.pk}_%s")


def _sentence_item(item: AdjudicationItem, layers: list[ReviewLayer], body: str):
    sentence = item.sentence
    chose = {layer.pk: (item.members or {}).get(str(layer.pk)) for layer in layers}
    labels = []
    for value, text, key, _short in LABEL_KEYS:
        who = [layer.editor.get_username() for layer in layers if chose[layer.pk] == value]
        labels.append(SimpleNamespace(value=value, text=text, key=key, who=who))
    return SimpleNamespace(
        item=item,
        kind="sentence",
        text=body[sentence.start : sentence.end] if sentence else "",
        sides=[
            SimpleNamespace(editor=layer.editor.get_username(), label=LABEL_TEXT.get(chose[layer.pk] or "", "—"))
            for layer in layers
        ],
        labels=labels,
        chosen_label=(item.values or {}).get("label") if item.choice == AdjudicationChoice.LABEL else None,
        chosen_text=LABEL_TEXT.get((item.values or {}).get("label") or "", "") if item.choice else "",
    )


def _rows_of(items: list[AdjudicationItem]) -> dict[int, dict]:
    ids = [m for item in items if item.kind == "attribution" for m in (item.members or {}).values() if m]
    if not ids:
        return {}
    return {row["id"]: row for row in Attribution.objects.filter(pk__in=ids).values("id", *agreement.COMPARED_FIELDS)}


def _present(
    items: list[AdjudicationItem], layers: list[ReviewLayer], body: str, *, edit_id: int | None = None
) -> list[SimpleNamespace]:
    rows = _rows_of(items)
    return [
        _attribution_item(i, layers, rows, body, editing=i.pk == edit_id)
        if i.kind == "attribution"
        else _sentence_item(i, layers, body)
        for i in items
    ]


def _review_of(pk: int) -> DoubleReview:
    return get_object_or_404(
        DoubleReview.objects.select_related("article", "article__outlet", "adjudicated_by"), article_id=pk
    )


def _progress(review: DoubleReview) -> dict[str, Any]:
    counts = {"differing": review.disagreements, "compared": review.units}
    counts["open"] = review.items.filter(differs=True, choice="").count() if review.is_closed else None
    counts["done"] = counts["open"] == 0
    return counts


@require_GET
@standards_required
def adjudication(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    review = _review_of(pk)
    article = review.article
    layers = list(review.layers.select_related("editor").order_by("position"))
    context: dict[str, Any] = {"review": review, "article": article, "layers": layers, "closed": review.is_closed}
    if review.is_closed:
        items = list(
            review.items.filter(differs=True)
            .select_related("sentence", "decided_by")
            .order_by("position", "kind", "unit")
        )
        group = agreement_stats.article_groups([review])[review.pk]
        context.update(
            {
                "entries": _present(items, layers, article.body, edit_id=_edit_id(request)),
                "progress": _progress_from(review, items),
                "spans": group.span("attribution", "overlap"),
                "spans_exact": group.span("attribution", "exact"),
                "source_type": group.chance("source_type"),
                "labels": group.chance("sentence_label"),
                "open_stage": review.stage == DoubleReviewStage.ADJUDICATION,
            }
        )
    return vary_on_htmx(TemplateResponse(request, TEMPLATE, context))


def _edit_id(request: HttpRequest) -> int | None:
    try:
        return int(request.GET.get("edit", ""))
    except ValueError:
        return None


@require_GET
@standards_required
def item(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One item, its editor open (``?edit=1``) or closed; without htmx, the page at that item."""
    found = get_object_or_404(AdjudicationItem.objects.select_related("review"), pk=pk)
    editing = request.GET.get("edit") == "1"
    if not request.htmx:
        query = f"?edit={pk}" if editing else ""
        return HttpResponseRedirect(reverse("adjudication", args=[found.review.article_id]) + f"{query}#item-{pk}")
    return _item_response(request, pk, editing=editing, with_progress=False)


def _progress_from(review: DoubleReview, items: list[AdjudicationItem]) -> dict[str, Any]:
    open_items = sum(1 for i in items if not i.choice)
    return {"differing": len(items), "compared": review.units, "open": open_items, "done": open_items == 0}


def _item_response(
    request: HtmxHttpRequest,
    item_pk: int,
    *,
    status: int = 200,
    conflict: str = "",
    errors=None,
    editing: bool = False,
    with_progress: bool = True,
):
    item = AdjudicationItem.objects.select_related("review", "review__article", "sentence", "decided_by").get(
        pk=item_pk
    )
    review = item.review
    layers = list(review.layers.select_related("editor").order_by("position"))
    entry = _present([item], layers, review.article.body, edit_id=item.pk if editing else None)[0]
    if errors is not None:
        entry.form = errors
    context = {
        "entry": entry,
        "review": review,
        "article": review.article,
        "conflict": conflict,
        "progress": _progress(review),
        "oob": True,
        "open_stage": review.stage == DoubleReviewStage.ADJUDICATION,
    }
    partial = "item_and_progress" if with_progress else "item"
    response = TemplateResponse(request, f"{TEMPLATE}#{partial}", context, status=status)
    return vary_on_htmx(response)


def _back(item: AdjudicationItem) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("adjudication", args=[item.review.article_id]) + f"#item-{item.pk}")


def _refused(request: HtmxHttpRequest, item: AdjudicationItem, exc: Exception) -> HttpResponse:
    """409: nothing written; the item as it now is, and why."""
    if isinstance(exc, services.StaleVersionError):
        who = exc.last_event.actor if exc.last_event and exc.last_event.actor else "someone"
        text = f"Not saved: {who} settled this since you loaded it; it is shown as it now is."
    elif isinstance(exc, ValidationError):
        text = "Not saved: " + "; ".join(exc.messages)
    else:
        text = f"Not saved: {exc}"
    if not request.htmx:
        messages.error(request, text)
        return _back(item)
    return _item_response(request, item.pk, status=409, conflict=text)


def _choose(request: HtmxHttpRequest, item: AdjudicationItem, **arguments) -> HttpResponse:
    try:
        services.adjudication_choose(item_id=item.pk, user=request.user, **arguments)
    except (services.StaleVersionError, services.ConflictError, ValidationError) as exc:
        return _refused(request, item, exc)
    if not request.htmx:
        messages.success(request, "Saved.")
        return _back(item)
    return _item_response(request, item.pk)


@require_POST
@standards_required
def choose(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(AdjudicationItem.objects.select_related("review"), pk=pk)
    form = ChoiceForm(request.POST)
    if not form.is_valid():
        return HttpResponse("The form must carry the version you saw and a choice.", status=400)
    return _choose(request, item, version=form.cleaned_data["version"], **form.arguments())


@require_POST
@standards_required
def edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The adjudicator's own version of an attribution (fields and span offsets)."""
    item = get_object_or_404(AdjudicationItem.objects.select_related("review"), pk=pk)
    form = AttributionCorrectForm(request.POST, auto_id=f"i{pk}_%s")
    if not form.is_valid() or form.cleaned_data["version"] is None:
        if form.is_valid():
            form.add_error(None, "The form must carry the version you saw.")
        if not request.htmx:
            messages.error(request, "Not saved: " + "; ".join(m for e in form.errors.values() for m in e))
            return _back(item)
        return _item_response(request, pk, status=422, errors=form)
    values = form.changes()
    values.pop("speaker_ref_id", None)
    try:
        services.adjudication_choose(
            item_id=pk, user=request.user, version=form.cleaned_data["version"], choice="edited", values=values
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        if not request.htmx:
            messages.error(request, "Not saved: " + "; ".join(exc.messages))
            return _back(item)
        return _item_response(request, pk, status=422, errors=form)
    except (services.StaleVersionError, services.ConflictError) as exc:
        return _refused(request, item, exc)
    if not request.htmx:
        messages.success(request, "Saved your version.")
        return _back(item)
    return _item_response(request, pk)


@require_POST
@standards_required
def finish(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review_of(pk)
    try:
        article: Article = services.adjudication_finish(article_id=review.article_id, user=request.user)
    except services.ConflictError as exc:
        messages.error(request, f"Not finished: {exc}")
        return HttpResponseRedirect(reverse("adjudication", args=[pk]))
    messages.success(request, "Adjudicated: the result is the article's review, and the scorecard counts it.")
    return HttpResponseRedirect(reverse("review", args=[article.pk]))
