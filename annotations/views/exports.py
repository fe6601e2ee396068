"""The export page (standards role): a filter form, a live count of matching articles, a streamed download.

The download is a GET (it changes nothing) answered by a ``StreamingHttpResponse``: the
export is written article by article as the client reads it (docs/exports.md).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.http import HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from annotations.exports import FORMATS, ExportFilters, articles_queryset, export_chunks
from annotations.models import Article, ArticleState, Outlet, SourceType
from annotations.permissions import standards_required
from annotations.views.common import HtmxHttpRequest, vary_on_htmx


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[(f.name, f.label) for f in FORMATS.values()], initial="jsonl")
    outlets = forms.ModelMultipleChoiceField(
        queryset=Outlet.objects.order_by("name"), required=False, help_text="none selected: all outlets"
    )
    published_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    published_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    review = forms.ChoiceField(
        choices=[
            ("reviewed", "Reviewed articles only"),
            ("all", "Also articles not yet reviewed (untouched proposals, marked as such)"),
        ],
        initial="reviewed",
        widget=forms.RadioSelect,
    )
    annotators = forms.MultipleChoiceField(required=False, help_text="the editor who marked the article reviewed")
    source_types = forms.MultipleChoiceField(
        choices=SourceType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    layers = forms.BooleanField(
        required=False,
        label="Also each editor's own review",
        help_text="double-reviewed articles: each editor's layer beside the adjudicated result (JSONL: a layers list "
        "with an annotator each; Label Studio: one annotation per editor)",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        reviewers = (
            get_user_model()
            .objects.filter(pk__in=_reviewer_ids())
            .order_by("username")
            .values_list("username", flat=True)
        )
        self.fields["annotators"].choices = [(u, u) for u in reviewers]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("published_from"), data.get("published_to")
        if start and end and start > end:
            self.add_error("published_to", "The end date is before the start date.")
        return data

    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        return ExportFilters(
            outlets=[str(o.pk) for o in data["outlets"]],
            published_from=data["published_from"],
            published_to=data["published_to"],
            review=data["review"],
            annotators=list(data["annotators"]),
            source_types=list(data["source_types"]),
            layers=bool(data.get("layers")),
        )


def _reviewer_ids():
    return Article.objects.filter(state=ArticleState.REVIEWED, reviewed_by__isnull=False).values("reviewed_by")


@require_GET
@standards_required
def exports(request: HtmxHttpRequest) -> HttpResponse:
    """The page; with htmx (the form changed) only the summary: how many articles the filters match."""
    bound = bool(request.GET)
    form = ExportForm(request.GET if bound else None)
    matching = articles_queryset(form.filters()).count() if bound and form.is_valid() else None
    if not bound:
        matching = articles_queryset(ExportFilters()).count()
    template_name = "exports.html"
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#summary"
    context = {"form": form, "matching": matching, "formats": FORMATS.values()}
    return vary_on_htmx(TemplateResponse(request, template_name, context))


@require_GET
@standards_required
def export_download(request: HtmxHttpRequest) -> HttpResponse:
    form = ExportForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "matching": None, "formats": FORMATS.values()}
        return TemplateResponse(request, "exports.html", context, status=400)
    fmt = FORMATS[form.cleaned_data["format"]]
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(export_chunks(fmt.name, form.filters()), content_type=fmt.content_type)
    response["Content-Disposition"] = f'attachment; filename="sourcing-desk-{stamp}.{fmt.extension}"'
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # let a proxy pass the pieces on as they come
    return response
