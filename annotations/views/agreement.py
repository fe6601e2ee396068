"""The agreement page (standards role): how far editors who reviewed the same articles blind agree.

Figures over a chosen scope (batch, outlet, publication dates): span agreement per role and for whole attributions,
exact and at 30% overlap; Cohen's kappa (Krippendorff's alpha when a review had more than two editors) on source
type, the anonymity fields and sentence labels; the same per editor pair and per outlet; how often each editor
kept the pre-pass; the disagreements, most frequent first, and the articles with the most. A fixed number of
queries (``annotations.agreement_stats``); CSV and JSON downloads of the same figures and of every article.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from annotations import agreement, agreement_stats
from annotations.forms_double_review import AgreementScopeForm
from annotations.permissions import standards_required
from annotations.views.common import HtmxHttpRequest, vary_on_htmx, wants_fragment
from annotations.views.stats import csv_safe

ROLE_LABELS = {"source": "Source", "cue": "Cue", "content": "Content", "attribution": "Whole attribution"}
CHANCE_LABELS = dict(agreement.KAPPA_FIELDS)


def _scope(request: HttpRequest) -> tuple[AgreementScopeForm, agreement_stats.AgreementScope]:
    form = AgreementScopeForm(request.GET if request.GET else None)
    return form, form.scope()


def _span_rows(group: agreement_stats.Group) -> list[dict]:
    return [
        {
            "role": role,
            "label": ROLE_LABELS[role],
            "exact": group.span(role, "exact"),
            "overlap": group.span(role, "overlap"),
        }
        for role in agreement.ROLES
    ]


def _chance_rows(group: agreement_stats.Group) -> list[dict]:
    rows = []
    for name, label in agreement.KAPPA_FIELDS:
        figure = group.chance(name)
        rows.append(
            {
                "field": name,
                "label": label,
                "figure": figure,
                "disagreements": [{"a": _shown(a), "b": _shown(b), "n": n} for a, b, n in group.disagreeing(name)],
            }
        )
    return rows


def _shown(value: str) -> str:
    return value if value else "(none)"


def number(value: float | None) -> str:
    """A figure as the tables show it (three decimals; "—" when undefined): formatted here, not by a template filter,
    for the 50 rows of the articles table."""
    return "—" if value is None else f"{value:.3f}"


def _article_rows(reviews, groups, editors) -> list[dict]:
    rows = []
    href = reverse("adjudication", args=[0]).replace("/0/", "/{}/")
    for review in reviews:
        group = groups[review.pk]
        labels = group.chance("sentence_label")
        rows.append(
            {
                "review": review,
                "editors": ", ".join(editors.get(review.pk, [])),
                "attribution_f1": number(group.span("attribution", "overlap")["f1"]),
                "labels_statistic": "κ" if labels.statistic == "kappa" else "α",
                "labels_value": number(labels.value),
                "labels_observed": number(labels.observed),
                "href": href.format(review.article_id),
            }
        )
    return rows


@require_GET
@standards_required
def agreement_page(request: HtmxHttpRequest) -> HttpResponse:
    form, scope = _scope(request)
    report = agreement_stats.report(scope)
    reviews = agreement_stats.most_disagreed(scope)
    groups = agreement_stats.article_groups(reviews)
    editors = agreement_stats.editors_of(reviews)
    params = scope.query_params()
    context = {
        "form": form,
        "scope": scope,
        "report": report,
        "overall_spans": _span_rows(report.overall),
        "overall_chance": _chance_rows(report.overall),
        "pairs": [
            {
                "group": g,
                "attribution": g.span("attribution", "overlap"),
                "attribution_exact": g.span("attribution", "exact"),
                "source_type": g.kappa("source_type"),
                "labels": g.kappa("sentence_label"),
            }
            for g in report.pairs
        ],
        "outlets": [
            {
                "group": g,
                "attribution": g.span("attribution", "overlap"),
                "attribution_exact": g.span("attribution", "exact"),
                "source_type": g.chance("source_type"),
                "labels": g.chance("sentence_label"),
            }
            for g in report.outlets
        ],
        "editors": report.editors,
        "articles": _article_rows(reviews, groups, editors),
        "articles_listed": agreement_stats.ARTICLES_LISTED,
        "query": f"?{urlencode(params)}" if params else "",
    }
    template_name = "agreement.html"
    if wants_fragment(request):
        template_name += "#results"
    return vary_on_htmx(TemplateResponse(request, template_name, context))


# --- downloads ----------------------------------------------------------------------------------------------


def _download_data(scope: agreement_stats.AgreementScope) -> dict:
    report = agreement_stats.report(scope)
    reviews = list(agreement_stats.reviews_in_scope(scope).order_by("pk"))
    groups = agreement_stats.article_groups(reviews)
    editors = agreement_stats.editors_of(reviews)
    articles = []
    for review in reviews:
        data = groups[review.pk].as_dict()
        data.update(
            {
                "article_id": review.article_id,
                "title": review.article.title,
                "outlet": review.article.outlet.name,
                "published": review.article.published.isoformat() if review.article.published else None,
                "batch": review.batch,
                "stage": review.stage,
                "editors": editors.get(review.pk, []),
            }
        )
        articles.append(data)
    return {
        "scope": scope.as_dict(),
        "generated": timezone.now().isoformat(),
        "method": {
            "spans": "prepass.evaluate.Scorer (evaluate_prepass --agreement): first-named editor as reference; "
            "exact, and 30% of the reference span covered",
            "chance_corrected": "Cohen's kappa (two editors; pooled with the first-named editor as rater A), "
            "Krippendorff's alpha (nominal) for more than two; over the matched items",
        },
        "overall": report.overall.as_dict(),
        "pairs": [g.as_dict() for g in report.pairs],
        "outlets": [g.as_dict() for g in report.outlets],
        "editors": [e.as_dict() for e in report.editors],
        "articles": articles,
    }


def _csv_rows(level: str, group: dict, editors: str = "") -> list[list]:
    """A group's figures as tidy rows: level, group, editors, measure, statistic, value, count."""
    rows = [[level, group["group"], editors, "articles", "count", group["articles"], group["articles"]]]
    rows.append(
        [level, group["group"], editors, "items", "differing", group["items_differing"], group["items_compared"]]
    )
    for measure, figures in group["spans"].items():
        for statistic in ("precision", "recall", "f1"):
            count = figures["reference_spans"] + figures["other_spans"]
            rows.append([level, group["group"], editors, f"span_{measure}", statistic, figures[statistic], count])
    for name, figures in group["chance_corrected"].items():
        for statistic in ("kappa", "alpha"):
            value = figures[statistic]
            if value is None:
                continue
            rows.append([level, group["group"], editors, name, statistic, value["value"], value["items"]])
            rows.append(
                [level, group["group"], editors, name, f"{statistic}_observed", value["observed"], value["items"]]
            )
    return rows


@require_GET
@standards_required
def agreement_download(request: HtmxHttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "json"):
        raise Http404("Unknown format.")
    _form, scope = _scope(request)
    data = _download_data(scope)
    stamp = timezone.now().strftime("%Y%m%d")
    filename = f"agreement-{stamp}.{fmt}"
    if fmt == "json":
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["level", "group", "editors", "measure", "statistic", "value", "count"])
        rows = _csv_rows("overall", data["overall"])
        for group in data["pairs"]:
            rows += _csv_rows("pair", group)
        for group in data["outlets"]:
            rows += _csv_rows("outlet", group)
        for article in data["articles"]:
            rows += _csv_rows(
                "article", {**article, "group": str(article["article_id"])}, " / ".join(article["editors"])
            )
        for e in data["editors"]:
            rows.append(["editor", e["editor"], e["editor"], "prepass_kept", "share", e["kept_share"], e["proposals"]])
            rows.append(
                [
                    "editor",
                    e["editor"],
                    e["editor"],
                    "prepass_labels_kept",
                    "share",
                    e["labels_kept_share"],
                    e["labels_proposed"],
                ]
            )
            for measure, figures in e["prepass_spans"].items():
                count = figures["reference_spans"] + figures["other_spans"]
                rows.append(["editor", e["editor"], e["editor"], f"prepass_span_{measure}", "f1", figures["f1"], count])
        for row in rows:
            writer.writerow([csv_safe("" if v is None else v) for v in row])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
