"""The outlet scorecard: overview, one outlet, a comparison, downloads.

Editors and standards editors may look (``editor_required`` admits both, and
staff); the figures are read-only. Every page takes the same filter from its
query string (``from``, ``to``, ``unreviewed``) and makes a fixed number of
queries, whatever the number of outlets or articles (``annotations.stats``).
htmx requests get the page's ``results`` partial; every response says
``Vary: HX-Request``.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from annotations import charts, proportions, stats, stats_outlet
from annotations.models import Outlet
from annotations.permissions import editor_required
from annotations.views.common import HtmxHttpRequest, vary_on_htmx, wants_fragment


def _scope(request: HttpRequest) -> tuple[stats.ScopeForm, stats.Scope]:
    form = stats.ScopeForm(request.GET if request.GET else None)
    return form, form.scope()


def review_href(article_id: int, anchor: str = "") -> str:
    """The review page of an article, at a sentence or attribution (``#sentence-<pk>``)."""
    try:
        url = reverse("review", args=[article_id])
    except NoReverseMatch:  # the review page is another area's; the scorecard still renders without it
        return ""
    return f"{url}#{anchor}" if anchor else url


# --- overview -------------------------------------------------------------------------------------


@require_GET
@editor_required
def scorecard(request: HtmxHttpRequest) -> HttpResponse:
    form, scope = _scope(request)
    sort = request.GET.get("sort", "name")
    sort = sort if sort in stats.SORT_KEYS else "name"
    descending = request.GET.get("dir", "asc" if sort == "name" else "desc") == "desc"
    figures = stats.outlet_figures(scope)
    rows = stats.sort_figures(figures, sort, descending)
    chart_rows = [
        charts.Row(
            label=f.outlet.name,
            value=f.anonymous,
            href=reverse("scorecard_outlet", args=[f.outlet.slug]) + _query(scope),
        )
        for f in stats.sort_figures(figures, "anonymous", True)
    ]
    with_data = [f for f in figures if f.has_data]
    context = {
        "form": form,
        "scope": scope,
        "rows": rows,
        "sort": sort,
        "descending": descending,
        "columns": _columns(sort, descending),
        "outlets_with_data": len(with_data),
        "articles_total": sum(f.articles for f in figures),
        "attributions_total": sum(f.attributions for f in figures),
        "chart": charts.dot_plot(
            chart_rows,
            title="Share of attributions that are anonymous, by outlet",
            desc="One row per outlet, highest first: the dot is the share of its attributions that are anonymous, "
            "the whisker its 95% Wilson interval; outlets with nothing in scope say no data.",
            axis="Anonymous attributions, % of all attributions (95% interval)",
            width=1000,
        )
        if figures
        else "",
        "query": _query(scope),
        # filtering keeps the chosen order
        "extra_hidden": [("sort", sort), ("dir", "desc" if descending else "asc")] if "sort" in request.GET else [],
    }
    template_name = "scorecard_overview.html"
    if wants_fragment(request):
        template_name += "#results"
    return vary_on_htmx(TemplateResponse(request, template_name, context))


def _query(scope: stats.Scope) -> str:
    params = scope.query_params()
    return f"?{urlencode(params)}" if params else ""


def _columns(sort: str, descending: bool) -> list[dict]:
    """Table headers: key, label, the direction a click sorts in, and aria-sort for the current one."""
    columns = [("name", "Outlet"), ("articles", "Articles"), ("attributions", "Attributions")]
    columns += [(key, label) for key, label, _help in stats.FIGURES]
    columns += [("named_per_article", "Named sources per article")]
    out = []
    for key, label in columns:
        current = key == sort
        # a click on the current column turns it round; on another, names go A-Z and figures highest first
        default_dir = "asc" if key == "name" else "desc"
        next_dir = ("asc" if descending else "desc") if current else default_dir
        out.append(
            {
                "key": key,
                "label": label,
                "dir": next_dir,
                "current": current,
                "aria_sort": ("descending" if descending else "ascending") if current else "none",
                "help": next((h for k, _l, h in stats.FIGURES if k == key), ""),
            }
        )
    return out


# --- one outlet ------------------------------------------------------------------------------------


@require_GET
@editor_required
def scorecard_outlet(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    outlet = get_object_or_404(Outlet, slug=slug)
    form, scope = _scope(request)
    data = _outlet_data(scope, outlet)
    figures, months = data["figures"], data["months"]
    trends = []
    for key, label, axis in (
        ("anonymous", "Anonymous sources", "% of attributions"),
        ("articles_with_anonymous", "Articles with an anonymous source", "% of articles"),
        ("justified", "Anonymity explained", "% of anonymous"),
        ("unsourced", "Unsourced claims", "% of claims"),
    ):
        series = charts.Series(label, [(m.month, getattr(m, key)) for m in months])
        help_text = next(h for k, _l, h in stats.FIGURES if k == key)
        trends.append(
            {
                "label": label,
                "help": help_text,
                "chart": charts.trend_chart(
                    [series],
                    title=f"{label} per month, {outlet.name}",
                    desc=f"Share of {help_text} per month of publication, with its 95% interval as a shaded band; "
                    "months with nothing in scope are left as gaps.",
                    axis=axis,
                ),
            }
        )
    examples = [{"example": e, "href": review_href(e.attribution.article_id, e.anchor)} for e in data["examples"]]
    leaning = [
        {"article": a, "share": stats_outlet.leaning_share(a), "href": review_href(a.pk)} for a in data["leaning"]
    ]
    descriptor_total = figures.anonymous.numerator
    context = {
        "form": form,
        "scope": scope,
        "outlet": outlet,
        "figures": figures,
        "cards": _cards(figures),
        "trends": trends,
        "descriptors": [
            {"text": text, "count": n, "share": proportions.Proportion(n, descriptor_total)}
            for text, n in figures.descriptors
        ],
        "examples": examples,
        "leaning": leaning,
        "leaning_min": stats_outlet.LEANING_MIN_ATTRIBUTIONS,
        "query": _query(scope),
    }
    template_name = "scorecard_outlet.html"
    if wants_fragment(request):
        template_name += "#results"
    return vary_on_htmx(TemplateResponse(request, template_name, context))


def _outlet_data(scope: stats.Scope, outlet: Outlet) -> dict:
    figures, months = stats_outlet.outlet_report(scope, outlet)
    stats.with_descriptors(scope, [figures])
    return {
        "figures": figures,
        "months": months,
        "examples": stats_outlet.anonymous_examples(scope, outlet),
        "leaning": stats_outlet.leaning_articles(scope, outlet),
    }


def _cards(figures: stats.OutletFigures) -> list[dict]:
    return [
        {
            "key": key,
            "label": label,
            "help": help_text,
            "value": getattr(figures, key),
            "of": stats.DENOMINATORS[key],
            "bar": charts.inline_bar(getattr(figures, key), width=220, height=18),
        }
        for key, label, help_text in stats.FIGURES
    ]


# --- comparison -------------------------------------------------------------------------------------

MAX_COMPARED = 6


@require_GET
@editor_required
def scorecard_compare(request: HtmxHttpRequest) -> HttpResponse:
    form, scope = _scope(request)
    all_outlets = list(Outlet.objects.order_by("name"))
    wanted = request.GET.getlist("outlet")[:MAX_COMPARED]
    by_slug = {o.slug: o for o in all_outlets}
    chosen = [by_slug[s] for s in dict.fromkeys(wanted) if s in by_slug]
    context = {
        "form": form,
        "scope": scope,
        "all_outlets": all_outlets,
        "chosen": chosen,
        "chosen_slugs": {o.slug for o in chosen},
        "max_compared": MAX_COMPARED,
        "query": _query(scope),
    }
    if len(chosen) >= 2:
        figures = stats.with_descriptors(scope, stats.outlet_figures(scope, chosen), limit=5)
        by_month = stats_outlet.anonymous_share_by_month(scope, [o.pk for o in chosen])
        shapes = charts.MARKERS
        panels = []
        for key, label, help_text in stats.FIGURES:
            rows = [
                charts.Row(
                    label=f.outlet.name,
                    value=getattr(f, key),
                    shape=shapes[i % len(shapes)],
                    series=i,
                    href=reverse("scorecard_outlet", args=[f.outlet.slug]) + _query(scope),
                )
                for i, f in enumerate(figures)
            ]
            panels.append(
                {
                    "label": label,
                    "help": help_text,
                    "chart": charts.dot_plot(
                        rows,
                        title=f"{label}: {', '.join(f.outlet.name for f in figures)}",
                        desc=f"Share of {help_text}, one row per outlet: "
                        "dot at the share, whisker across its 95% interval.",
                        axis=f"% of {stats.DENOMINATORS[key]} (95% interval)",
                        width=560,
                    ),
                }
            )
        trend = charts.trend_chart(
            [charts.Series(f.outlet.name, sorted(by_month.get(f.outlet.pk, {}).items())) for f in figures],
            title="Anonymous share of attributions per month, by outlet",
            desc="One line per outlet, each with its own marker shape and dash pattern and labelled at its end.",
            axis="% of attributions",
            width=1000,
            height=320,
        )
        context |= {
            "figures": figures,
            "panels": panels,
            "trend": trend,
            "legend": [(f, charts.legend_marker(i)) for i, f in enumerate(figures)],
            "rows": _compare_rows(figures),
        }
    template_name = "scorecard_compare.html"
    if wants_fragment(request):
        template_name += "#results"
    return vary_on_htmx(TemplateResponse(request, template_name, context))


def _compare_rows(figures: list[stats.OutletFigures]) -> list[dict]:
    rows = [
        {"label": "Articles", "kind": "count", "cells": [f.articles for f in figures]},
        {"label": "Attributions", "kind": "count", "cells": [f.attributions for f in figures]},
    ]
    for key, label, help_text in stats.FIGURES:
        rows.append(
            {
                "label": label,
                "help": help_text,
                "kind": "proportion",
                "cells": [{"value": getattr(f, key), "bar": charts.inline_bar(getattr(f, key))} for f in figures],
            }
        )
    rows.append({"label": "Named sources per article", "kind": "rate", "cells": [f.named_per_article for f in figures]})
    return rows


# --- downloads ----------------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Neutralise text a spreadsheet would run as a formula (a leading = + - @ tab or CR)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@require_GET
@editor_required
def scorecard_download(request: HtmxHttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "json"):
        raise Http404("Unknown format.")
    _form, scope = _scope(request)
    slugs = request.GET.getlist("outlet")
    outlets = list(Outlet.objects.filter(slug__in=slugs).order_by("name")) if slugs else None
    figures = stats.with_descriptors(scope, stats.outlet_figures(scope, outlets))
    stamp = timezone.now().strftime("%Y%m%d")
    filename = f"scorecard-{stamp}{'-unreviewed' if scope.include_unreviewed else ''}.{fmt}"
    if fmt == "json":
        response = JsonResponse(
            {
                "scope": scope.as_dict(),
                "generated": timezone.now().isoformat(),
                "interval": "Wilson score interval, 95%",
                "outlets": [f.as_dict() for f in figures],
            },
            json_dumps_params={"indent": 2, "ensure_ascii": False},
        )
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        header = ["outlet", "slug", "articles", "attributions"]
        for key in stats.FIGURE_KEYS:
            header += [f"{key}_numerator", f"{key}_denominator", f"{key}_share", f"{key}_ci95_low", f"{key}_ci95_high"]
        header += [
            "named_sources",
            "named_sources_per_article",
            "top_anonymous_descriptors",
            "scope_from",
            "scope_to",
            "include_unreviewed",
        ]
        writer.writerow(header)
        for f in figures:
            data = f.as_dict()
            row = [f.outlet.name, f.outlet.slug, f.articles, f.attributions]
            for key in stats.FIGURE_KEYS:
                p = data[key]
                row += [
                    p["numerator"],
                    p["denominator"],
                    _blank(p["value"]),
                    _blank(p["ci95_low"]),
                    _blank(p["ci95_high"]),
                ]
            row += [
                f.named_per_article.numerator,
                _blank(data["named_sources_per_article"]["value"]),
                "; ".join(f"{d} ({n})" for d, n in f.descriptors),
                scope.as_dict()["from"] or "",
                scope.as_dict()["to"] or "",
                "yes" if scope.include_unreviewed else "no",
            ]
            writer.writerow([csv_safe(v) for v in row])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _blank(value) -> str | float:
    return "" if value is None else value
