"""The import page: upload or paste articles, then follow the import and its pre-pass (standards editors only).

Small uploads are stored in the request; more than ``IMPORT_SYNC_MAX_RECORDS`` records go to a background task.
The session keeps the newest few imports' summaries (ids, counts, the first problems), read by the result page,
which htmx polls for progress; every response says ``Vary: HX-Request``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from annotations import services
from annotations.forms import ImportForm
from annotations.importing import count_records
from annotations.models import Article, ArticleState, Event, Outlet
from annotations.permissions import standards_required
from annotations.services.imports import import_batch_queue, problem_dicts
from annotations.views.common import HtmxHttpRequest, vary_on_htmx, wants_fragment
from annotations.views.pages import ARTICLES_PER_PAGE, article_rows

IMPORT_BATCHES_KEPT = 20


def _batches(request: HttpRequest) -> dict[str, dict]:
    return request.session.get("import_batches", {})


def _store_batch(request: HttpRequest, summary: services.ImportSummary, background: dict | None = None) -> str:
    """Keep one import's summary in the session: ids, counts and at most ``IMPORT_PROBLEMS_KEPT`` problems."""
    token = background["token"] if background else secrets.token_urlsafe(9)
    batches = _batches(request)
    batches[token] = {
        "ids": summary.imported,
        "duplicates": summary.duplicates,
        "requeued": len(summary.requeued),
        "removed_lines": summary.removed_lines,
        "outlets": sorted(summary.outlets),
        "problems": problem_dicts(summary.problems, settings.IMPORT_PROBLEMS_KEPT),
        "problems_total": len(summary.problems),
        "background": background,
        "at": timezone.now().isoformat(),
    }
    # keep the newest few only: the session is not an archive
    request.session["import_batches"] = dict(list(batches.items())[-IMPORT_BATCHES_KEPT:])
    return token


def _merge(summaries: list[services.ImportSummary]) -> services.ImportSummary:
    total = services.ImportSummary()
    for summary in summaries:
        total.imported += summary.imported
        total.duplicates += summary.duplicates
        total.requeued += summary.requeued
        total.problems += summary.problems
        total.removed_lines += summary.removed_lines
        total.outlets |= summary.outlets
    return total


@require_http_methods(["GET", "POST"])
@standards_required
def import_articles(request: HtmxHttpRequest) -> HttpResponse:
    """Store the articles and queue their pre-pass; the result page follows its progress.

    Uploads holding more than ``IMPORT_SYNC_MAX_RECORDS`` records are imported by a background task; the
    result page follows that too.
    """
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        outlet = form.cleaned_data["outlet"].strip() or None
        fmt = form.cleaned_data["format"]
        summaries = []
        pasted = form.pasted_file()
        if pasted:
            summaries.append(
                services.articles_import(files=[pasted], outlet_name=outlet, fmt="txt", user=request.user, enqueue=True)
            )
        uploads = [(f.name, f.read()) for f in form.cleaned_data["files"]]
        records = sum(count_records(name, data, fmt=fmt) for name, data in uploads)
        background = None
        if uploads and records > settings.IMPORT_SYNC_MAX_RECORDS:
            background = {"token": secrets.token_urlsafe(9), "records": records, "since": timezone.now().isoformat()}
            import_batch_queue(
                batch=background["token"], files=uploads, outlet_name=outlet, fmt=fmt, user=request.user,
                records=records,
            )  # fmt: skip
        elif uploads:
            summaries.append(
                services.articles_import(files=uploads, outlet_name=outlet, fmt=fmt, user=request.user, enqueue=True)
            )
        token = _store_batch(request, _merge(summaries), background)
        url = reverse("import_batch", args=[token])
        return vary_on_htmx(HttpResponseClientRedirect(url) if request.htmx else redirect(url))
    outlets = list(Outlet.objects.order_by("name").values_list("name", flat=True))
    status = 422 if request.method == "POST" else 200
    template_name = "import.html"
    if request.htmx and request.method == "POST":
        template_name += "#import-form"
    context = {"form": form, "outlets": outlets, "sync_max_records": settings.IMPORT_SYNC_MAX_RECORDS}
    return vary_on_htmx(TemplateResponse(request, template_name, context, status=status))


@dataclass
class Progress:
    total: int
    waiting: int
    running: int
    prepassed: int
    importing: bool = False  # a background import still storing articles
    records: int = 0  # how many records that import holds (about)

    @property
    def done(self) -> bool:
        return self.waiting == 0 and not self.importing

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.prepassed / self.total)


def _background_events(background: dict) -> QuerySet[Event]:
    """The events of one background import (by its token; from when it was queued, on the created_at index)."""
    return Event.objects.filter(created_at__gte=background["since"], after__batch=background["token"])


def _batch_articles(batch: dict) -> Q:
    where = Q(pk__in=batch["ids"])
    if batch.get("background"):
        stored = _background_events(batch["background"]).filter(action="import").values("article_id")
        where |= Q(pk__in=Subquery(stored))
    return where


def _background_summary(batch: dict) -> tuple[dict, bool]:
    """The batch with a finished background import's summary merged in, and whether it is still running."""
    background = batch.get("background")
    if not background:
        return batch, False
    finished = _background_events(background).filter(action="import_finished").first()
    if finished is None:
        return batch, True
    done = finished.after or {}
    merged = dict(batch)
    merged["duplicates"] = batch["duplicates"] + done.get("duplicates", 0)
    merged["requeued"] = batch.get("requeued", 0) + done.get("requeued", 0)
    merged["removed_lines"] = batch["removed_lines"] + done.get("removed_lines", 0)
    merged["outlets"] = sorted({*batch["outlets"], *done.get("outlets", [])})
    merged["problems"] = (batch["problems"] + done.get("problems", []))[: settings.IMPORT_PROBLEMS_KEPT]
    merged["problems_total"] = batch.get("problems_total", len(batch["problems"])) + done.get("problems_total", 0)
    merged["imported_total"] = len(batch["ids"]) + done.get("imported", 0)
    merged["error"] = done.get("error", "")
    return merged, False


def _progress(batch: dict, importing: bool = False) -> Progress:
    counts = Article.objects.filter(_batch_articles(batch)).aggregate(
        total=Count("pk"),
        waiting=Count("pk", filter=Q(state=ArticleState.IMPORTED)),
        running=Count("pk", filter=Q(state=ArticleState.IMPORTED, processing_token__isnull=False)),
    )
    background = batch.get("background") or {}
    return Progress(
        total=counts["total"],
        waiting=counts["waiting"],
        running=counts["running"],
        prepassed=counts["total"] - counts["waiting"],
        importing=importing,
        records=background.get("records", 0),
    )


@require_GET
@standards_required
def import_batch(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The summary of one import and the live progress of its pre-pass (polled by htmx every 2 s)."""
    batch = _batches(request).get(token)
    if batch is None:
        raise Http404("No such import in this session.")
    batch, importing = _background_summary(batch)
    progress = _progress(batch, importing)
    context = {"batch": batch, "token": token, "progress": progress}
    if wants_fragment(request):
        response = TemplateResponse(request, "import.html#progress", context)
        if request.GET.get("importing") and not importing:
            response["HX-Refresh"] = "true"  # the background import finished: show its summary
        return vary_on_htmx(response)
    context["imported_total"] = batch.get("imported_total", progress.total if importing else len(batch["ids"]))
    context["problems_total"] = batch.get("problems_total", len(batch["problems"]))
    context["problems_more"] = context["problems_total"] - len(batch["problems"])
    context["imported_articles"] = article_rows(Article.objects.filter(_batch_articles(batch)))[:ARTICLES_PER_PAGE]
    return vary_on_htmx(TemplateResponse(request, "import.html", context))
