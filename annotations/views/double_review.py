"""The double review page (standards role): mark articles for double review, the rule for new imports, and the
double reviews with where each stands; one review's page gives an unsubmitted layer to another editor or calls the
review off. Each editor then finds their layer in their queue (home page); the agreement
page (``views.agreement``) and the side-by-side adjudication (``views.adjudication``) follow.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotations import services
from annotations.forms_double_review import CancelForm, LayerReassignForm, MarkForm, RuleForm
from annotations.models import (
    Article,
    ArticleState,
    DoubleReview,
    DoubleReviewRule,
    DoubleReviewStage,
    ReviewLayer,
)
from annotations.permissions import standards_required
from annotations.services.double_review import MARKABLE_STATES
from annotations.services.double_review_manage import CHANGEABLE_STAGES
from annotations.views.common import HtmxHttpRequest, vary_on_htmx, wants_fragment

REVIEWS_PER_PAGE = 50


def _reviews(request: HtmxHttpRequest) -> tuple[object, dict]:
    stage = request.GET.get("stage", "")
    batch = request.GET.get("batch", "")
    qs = DoubleReview.objects.select_related("article", "article__outlet").prefetch_related(
        Prefetch("layers", queryset=ReviewLayer.objects.select_related("editor").order_by("position"))
    )
    if stage in DoubleReviewStage.values:
        qs = qs.filter(stage=stage)
    if batch:
        qs = qs.filter(batch=batch)
    page = Paginator(qs.order_by("-created_at", "-pk"), REVIEWS_PER_PAGE).get_page(request.GET.get("page"))
    params = {k: v for k, v in (("stage", stage), ("batch", batch)) if v}
    return page, {"stage": stage, "batch": batch, "query": urlencode(params)}


def _page(request: HtmxHttpRequest, mark_form: MarkForm, rule_form: RuleForm, *, status: int = 200) -> HttpResponse:
    page, filters = _reviews(request)
    stages = DoubleReview.objects.aggregate(
        **{stage.value: Count("pk", filter=Q(stage=stage.value)) for stage in DoubleReviewStage},
        startable=Count("pk", filter=Q(stage=DoubleReviewStage.WAITING, article__state=ArticleState.PREPASSED)),
    )
    batches = list(DoubleReview.objects.order_by("batch").values_list("batch", flat=True).distinct())
    context = {
        "mark_form": mark_form,
        "rule_form": rule_form,
        "rule": DoubleReviewRule.objects.filter(active=True).prefetch_related("editors").first(),
        "page": page,
        "filters": filters,
        "stages": [(s.value, s.label, stages[s.value]) for s in DoubleReviewStage],
        "startable": stages["startable"],
        "batches": batches,
    }
    template_name = "double_review.html"
    if wants_fragment(request) and status == 200:
        template_name += "#reviews"
    return vary_on_htmx(TemplateResponse(request, template_name, context, status=status))


@require_GET
@standards_required
def double_reviews(request: HtmxHttpRequest) -> HttpResponse:
    """The page; with htmx and ``preview`` only how many articles the marking form would mark."""
    if request.GET.get("preview") and request.htmx:
        form = MarkForm(request.GET, preview=True)
        context = {"mark_form": form, "preview": _preview(form)}
        return vary_on_htmx(TemplateResponse(request, "double_review.html#preview", context))
    initial = {"articles": request.GET.get("articles", ""), "share": 100}
    return _page(request, MarkForm(initial=initial), RuleForm(initial=_rule_initial()))


def _preview(form: MarkForm) -> dict:
    if not form.is_valid():
        return {"invalid": True}
    if form.cleaned_data["articles"]:
        ids = form.cleaned_data["articles"]
        markable = Article.objects.filter(pk__in=ids, state__in=MARKABLE_STATES, double_review__isnull=True).count()
        return {"ids": len(ids), "markable": markable, "marked": markable}
    matching = form.matching().count()
    share = form.cleaned_data.get("share") or 100
    marked = matching if share >= 100 else (max(1, round(matching * share / 100)) if matching else 0)
    return {"ids": 0, "markable": matching, "marked": marked, "share": share}


def _rule_initial() -> dict:
    rule = DoubleReviewRule.objects.filter(active=True).prefetch_related("editors").first()
    if rule is None:
        return {"share": 0}
    return {"share": rule.share, "editors": list(rule.editors.all()), "batch": rule.batch}


@require_POST
@standards_required
def mark(request: HtmxHttpRequest) -> HttpResponse:
    form = MarkForm(request.POST)
    if form.is_valid():
        try:
            summary = services.double_review_mark(
                article_ids=form.selection(),
                editors=list(form.cleaned_data["editors"]),
                batch=form.cleaned_data["batch"],
                by=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("editors", message)
        else:
            if not summary.marked and not summary.skipped:
                form.add_error(None, "No article matches: nothing was marked.")
            else:
                names = ", ".join(u.get_username() for u in form.cleaned_data["editors"])
                waiting = len(summary.marked) - len(summary.started)
                text = f"{len(summary.marked)} article{'s' if len(summary.marked) != 1 else ''} marked for double "
                text += f"review by {names}"
                if waiting:
                    text += f" ({waiting} will start when their pre-pass is stored)"
                messages.success(request, text + ".")
                for article_id, why in summary.skipped[:20]:
                    messages.warning(request, f"Article {article_id} skipped: {why}.")
                if len(summary.skipped) > 20:
                    messages.warning(request, f"… and {len(summary.skipped) - 20} more skipped.")
                batch = DoubleReview.objects.filter(article_id__in=summary.marked[:1]).values_list("batch", flat=True)
                query = urlencode({"batch": batch[0]}) if summary.marked else ""
                return redirect(reverse("double_reviews") + (f"?{query}" if query else "") + "#reviews")
    return _page(request, form, RuleForm(initial=_rule_initial()), status=422)


@require_POST
@standards_required
def rule(request: HtmxHttpRequest) -> HttpResponse:
    form = RuleForm(request.POST)
    if form.is_valid():
        try:
            saved = services.double_review_rule_set(
                share=form.cleaned_data["share"],
                editors=list(form.cleaned_data["editors"]),
                batch=form.cleaned_data["batch"],
                by=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if saved is None:
                messages.success(request, "New imports are no longer sent to double review.")
            else:
                names = ", ".join(sorted(u.get_username() for u in saved.editors.all()))
                text = f"{saved.share}% of new imports will be double-reviewed by {names} (batch “{saved.batch}”)."
                messages.success(request, text)
            return redirect(reverse("double_reviews") + "#rule")
    return _page(request, MarkForm(initial={"share": 100}), form, status=422)


@require_POST
@standards_required
def start_waiting(request: HtmxHttpRequest) -> HttpResponse:
    """Start the waiting double reviews whose pre-pass is stored (after a failure to start them then)."""
    started = services.double_reviews_start_waiting()
    messages.success(request, f"{len(started)} double review{'s' if len(started) != 1 else ''} started.")
    return redirect(reverse("double_reviews") + "#reviews")


# --- one double review: who holds each layer, reassigning one, calling the review off -----------------------------


def _reassign_form(layers: list[ReviewLayer], data=None) -> LayerReassignForm:
    """Which unsubmitted layer goes to which editor not yet in the review."""
    open_layers = [(layer.position, layer.editor.get_username()) for layer in layers if not layer.submitted_at]
    return LayerReassignForm(data, layers=open_layers, exclude=[layer.editor_id for layer in layers])


def _layers(review: DoubleReview) -> list[ReviewLayer]:
    return list(review.layers.with_decisions().select_related("editor").order_by("position"))


def _detail(
    request: HtmxHttpRequest,
    article_id: int,
    *,
    reassign_form: LayerReassignForm | None = None,
    cancel_form: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page of one double review: three queries (review, layers with their decisions so far, editor choices)."""
    review = _review_of(article_id)
    layers = _layers(review)
    changeable = review.stage in CHANGEABLE_STAGES
    if reassign_form is None:
        reassign_form = _reassign_form(layers)
    context = {
        "review": review,
        "layers": layers,
        "changeable": changeable,
        "reassign_form": reassign_form if changeable and reassign_form.fields["position"].choices else None,
        "cancel_form": (cancel_form or CancelForm()) if changeable else None,
    }
    return vary_on_htmx(TemplateResponse(request, "double_review_detail.html", context, status=status))


def _review_of(article_id: int) -> DoubleReview:
    return get_object_or_404(DoubleReview.objects.select_related("article", "article__outlet"), article_id=article_id)


@require_GET
@standards_required
def detail(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    return _detail(request, article_id)


@require_POST
@standards_required
def layer_reassign(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    form = _reassign_form(_layers(_review_of(article_id)), request.POST)
    if form.is_valid():
        previous = dict(form.fields["position"].choices)[form.cleaned_data["position"]]
        try:
            layer = services.double_review_layer_reassign(
                article_id=article_id,
                position=form.cleaned_data["position"],
                editor=form.cleaned_data["editor"],
                by=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            name = layer.editor.get_username()
            messages.success(request, f"{previous}'s layer is now {name}'s, from a fresh copy of the proposals.")
            return redirect(reverse("double_review_detail", args=[article_id]))
    return _detail(request, article_id, reassign_form=form, status=422)


@require_POST
@standards_required
def cancel(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            article = services.double_review_cancel(article_id=article_id, by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            state = article.get_state_display().lower()
            messages.success(request, f"Double review of “{article}” called off; the article is {state} again.")
            return redirect(reverse("double_reviews") + "#reviews")
    return _detail(request, article_id, cancel_form=form, status=422)
