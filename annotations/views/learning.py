"""Model versions (standards editors only): train a new version from reviewed articles, follow its progress,
compare versions side by side, promote one, re-run the pre-pass over unreviewed articles.

Writes are in ``services.model_versions``; the training itself runs in a ``django.tasks`` task
(``tasks.train_model_version``) whose progress the version's page polls with htmx every 2 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from annotations.forms import PromoteForm, TrainForm
from annotations.models import Article, ModelVersion, TrainingStatus
from annotations.permissions import standards_required
from annotations.prepass import SHIPPED_VERSION
from annotations.services import model_versions as service
from annotations.services.common import ConflictError
from annotations.views.common import HtmxHttpRequest, vary_on_htmx, wants_fragment

ROLES = ("source", "cue", "content", "attribution")


@dataclass
class Row:
    """One model in the side-by-side table: its figures on the shared dev sets and on its own reviewed slice."""

    label: str
    version: ModelVersion | None  # None: the shipped model
    active: bool
    polnear: dict | None
    mcae: dict | None
    reviewed_old: dict | None = None
    reviewed_new: dict | None = None
    polnear_delta: float | None = None  # attribution F1 against the model it was compared with
    mcae_delta: float | None = None


def _new_and_delta(figures: dict, name: str, key: str) -> tuple[dict | None, float | None]:
    pair = figures.get(name) or {}
    new, old = pair.get("new"), pair.get("old")
    if new is None or old is None or key not in new or key not in old:
        return new, None
    return new, round(new[key] - old[key], 4)


def _rows(versions: list[ModelVersion]) -> list[Row]:
    any_active = any(v.is_active for v in versions)
    shipped_figures: dict = {}
    for v in versions:  # newest first: the latest run compared against the shipped model
        if v.status == TrainingStatus.READY and v.based_on == SHIPPED_VERSION and not shipped_figures:
            shipped_figures = v.figures
    rows = [
        Row(
            label=SHIPPED_VERSION,
            version=None,
            active=not any_active,
            polnear=(shipped_figures.get("polnear_dev") or {}).get("old"),
            mcae=(shipped_figures.get("mcae_dev") or {}).get("old"),
        )
    ]
    for v in versions:
        figures = v.figures or {}
        polnear, polnear_delta = _new_and_delta(figures, "polnear_dev", "attribution")
        mcae, mcae_delta = _new_and_delta(figures, "mcae_dev", "type_accuracy")
        reviewed = figures.get("reviewed_dev") or {}
        rows.append(
            Row(
                label=v.version,
                version=v,
                active=v.is_active,
                polnear=polnear,
                mcae=mcae,
                reviewed_old=reviewed.get("old"),
                reviewed_new=reviewed.get("new"),
                polnear_delta=polnear_delta,
                mcae_delta=mcae_delta,
            )
        )
    return rows


@require_GET
@standards_required
def model_versions(request: HtmxHttpRequest) -> HttpResponse:
    versions = list(ModelVersion.objects.for_listing())
    # a run whose worker stopped reporting (MODEL_TRAINING_STALE_MINUTES) no longer hides the form
    fresh = timezone.now() - timedelta(minutes=settings.MODEL_TRAINING_STALE_MINUTES)
    running = next((v for v in versions if v.is_running and v.updated_at >= fresh), None)
    context = {
        "rows": _rows(versions),
        "running": running,
        "form": TrainForm(),
        "promote_form": PromoteForm(),
        "reviewed": Article.objects.reviewed().count(),
        "stale": len(service.rerun_candidates()),
        "active_label": next((v.version for v in versions if v.is_active), SHIPPED_VERSION),
    }
    return vary_on_htmx(TemplateResponse(request, "model_versions.html", context))


@require_POST
@standards_required
def model_version_train(request: HtmxHttpRequest) -> HttpResponse:
    form = TrainForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("model_versions")
    options = service.TrainOptions(
        base_corpus=form.cleaned_data["base_corpus"],
        warm_start=form.cleaned_data["warm_start"],
        epochs=form.cleaned_data["epochs"],
    )
    try:
        version = service.model_version_queue(user=request.user, options=options)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("model_versions")
    url = reverse("model_version", args=[version.pk])
    return vary_on_htmx(HttpResponseClientRedirect(url) if request.htmx else redirect(url))


SETS = (
    ("reviewed_dev", "held-out reviewed articles", [*((r, f"{r} F1 at 30%") for r in ROLES),
                                                    ("source_type_accuracy", "source type right (rules)")]),
    ("polnear_dev", "PolNeAR dev", [(r, f"{r} F1 at 30%") for r in ROLES]),
    ("mcae_dev", "MCAE dev", [("found_share", "statements found"), ("type_accuracy", "type right, of found")]),
)  # fmt: skip


def _figure_rows(figures: dict) -> list[dict]:
    """(dev set, figure, old, new) for each figure a run measured."""
    rows = []
    for name, label, keys in SETS:
        pair = figures.get(name)
        if not pair or "new" not in pair:
            continue
        old, new = pair.get("old") or {}, pair["new"]
        first = True
        for key, figure in keys:
            if new.get(key) is None:
                continue
            set_label = f"{label} ({new.get('docs', '?')} articles)" if first else ""
            rows.append({"set": set_label, "figure": figure, "old": old.get(key), "new": new[key]})
            first = False
    return rows


@require_GET
@standards_required
def model_version(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One version: its training run's live progress (polled while it runs), what it learnt from, its figures."""
    version = get_object_or_404(ModelVersion.objects.select_related("trained_by", "promoted_by"), pk=pk)
    context = {"version": version}
    if wants_fragment(request):
        response = TemplateResponse(request, "model_version.html#progress", context)
        if request.GET.get("running") and not version.is_running:
            response["HX-Refresh"] = "true"  # the run ended: show its figures
        return vary_on_htmx(response)
    context.update(
        promote_form=PromoteForm(),
        figure_rows=_figure_rows(version.figures or {}),
        outlets=sorted(((version.training_data.get("reviewed") or {}).get("outlets") or {}).items()),
    )
    return vary_on_htmx(TemplateResponse(request, "model_version.html", context))


def _after_promotion(request: HtmxHttpRequest, promotion: service.Promotion, label: str) -> HttpResponse:
    queued = f" The pre-pass runs again over {len(promotion.rerun)} unreviewed articles." if promotion.rerun else ""
    messages.success(request, f"{label} is now the active model.{queued}")
    url = reverse("model_versions")
    return vary_on_htmx(HttpResponseClientRedirect(url) if request.htmx else redirect(url))


@require_POST
@standards_required
def model_version_promote(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, pk=pk)
    form = PromoteForm(request.POST)
    rerun = form.is_valid() and form.cleaned_data["rerun"]
    try:
        promotion = service.model_version_promote(version_id=version.pk, user=request.user, rerun=rerun)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("model_versions")
    return _after_promotion(request, promotion, version.version)


@require_POST
@standards_required
def model_use_shipped(request: HtmxHttpRequest) -> HttpResponse:
    form = PromoteForm(request.POST)
    rerun = form.is_valid() and form.cleaned_data["rerun"]
    try:
        promotion = service.model_version_use_shipped(user=request.user, rerun=rerun)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect("model_versions")
    return _after_promotion(request, promotion, "The shipped model")


@require_POST
@standards_required
def model_rerun(request: HtmxHttpRequest) -> HttpResponse:
    ids = service.articles_rerun_queue(user=request.user)
    messages.success(request, f"The pre-pass runs again over {len(ids)} unreviewed articles.")
    return redirect("model_versions")
