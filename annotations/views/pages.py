"""The desk's pages around the review page: home (my queue, next article), articles, history (import: imports.py).

Each view checks the role itself (``annotations.permissions``); htmx requests get the page's
fragment (a template partial) and every response that depends on it says ``Vary: HX-Request``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from annotations import services
from annotations.forms import ArticleAssignForm, ArticleFilterForm, QueueOrderForm, staff_users
from annotations.models import Article, ArticleState, Attribution, Event, ReviewState
from annotations.permissions import editor_required, standards_required
from annotations.roles import is_standards
from annotations.views.common import HtmxHttpRequest, vary_on_htmx, wants_fragment
from annotations.views.double_review_rules import require_layer_visible

ARTICLES_PER_PAGE = 50
EVENTS_PER_PAGE = 50
# the states the lists show: an editor's layer of a double review (issue 15) is reached from the review, not listed
LISTED_STATES = [state for state in ArticleState if state != ArticleState.LAYER]


def _open_counts(queryset: QuerySet[Article]) -> QuerySet[Article]:
    """Each article's undecided proposals, as a correlated subquery: computed for the rows shown only."""
    open_proposals = (
        Attribution.objects.filter(article=OuterRef("pk"), review_state=ReviewState.PROPOSED)
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(open_count=Coalesce(Subquery(open_proposals), 0))


class CountedPaginator(Paginator):
    """A paginator told the total by the page's aggregate query, so it does not count again."""

    def __init__(self, *args, count: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


# --- home -------------------------------------------------------------------------


def _state_counts(queryset: QuerySet[Article]) -> dict[str, Any]:
    """Articles per state (and how many wait for an editor) in one aggregate query."""
    now = timezone.now()
    counts = queryset.aggregate(
        total=Count("pk"),
        available=Count(
            "pk",
            filter=Q(state__in=[ArticleState.PREPASSED, ArticleState.IN_REVIEW])
            & (Q(assignee__isnull=True) | Q(lease_expires_at__lt=now)),
        ),
        **{state.value: Count("pk", filter=Q(state=state.value)) for state in LISTED_STATES},
    )
    counts["by_state"] = [(state.value, state.label, counts[state.value]) for state in LISTED_STATES]
    counts["present"] = [row for row in counts["by_state"] if row[2]]
    return counts


@require_GET
@editor_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    queue = _open_counts(
        Article.objects.filter(assignee=request.user).exclude(state=ArticleState.REVIEWED).select_related("outlet")
    ).order_by("lease_expires_at", "pk")
    context = {"queue": queue, "now": timezone.now(), "order_form": _order_form(request)}
    if wants_fragment(request):  # the queue refreshes itself now and then: others take and finish articles
        return vary_on_htmx(TemplateResponse(request, "home.html#queue", context))
    context["counts"] = _state_counts(Article.objects.exclude(state=ArticleState.LAYER))
    return vary_on_htmx(TemplateResponse(request, "home.html", context))


QUEUE_ORDER_KEY = "queue_order"  # the editor's choice of order for "Next article", kept in the session


def _order_form(request: HtmxHttpRequest) -> QueueOrderForm:
    return QueueOrderForm(initial={"order": request.session.get(QUEUE_ORDER_KEY, QueueOrderForm.DEFAULT)})


@require_POST
@editor_required
def next_article(request: HtmxHttpRequest) -> HttpResponse:
    form = QueueOrderForm(request.POST)
    order = request.session.get(QUEUE_ORDER_KEY, QueueOrderForm.DEFAULT)
    if form.is_valid() and form.cleaned_data["order"]:
        order = request.session[QUEUE_ORDER_KEY] = form.cleaned_data["order"]
    article = services.article_lease_next(user=request.user, order=order)
    if article is None:
        message = "Nothing left to review: every pre-passed article is reviewed or held by another editor."
        if request.htmx:
            context = {"nothing_left": message, "order_form": _order_form(request)}
            return vary_on_htmx(TemplateResponse(request, "home.html#next", context))
        messages.info(request, message)
        return redirect("home")
    url = reverse("review", args=[article.pk])
    return vary_on_htmx(HttpResponseClientRedirect(url) if request.htmx else redirect(url))


# --- articles -----------------------------------------------------------------------


def _filtered_articles(filters: dict) -> QuerySet[Article]:
    queryset = Article.objects.exclude(state=ArticleState.LAYER)  # an editor's layer of a double review is no article
    if "outlet" in filters:
        queryset = queryset.filter(outlet=filters["outlet"])
    if "state" in filters:
        queryset = queryset.filter(state=filters["state"])
    if "assignee" in filters:
        if filters["assignee"] == ArticleFilterForm.UNASSIGNED:
            queryset = queryset.filter(assignee__isnull=True)
        else:
            queryset = queryset.filter(assignee_id=filters["assignee"])
    if "published_from" in filters:
        queryset = queryset.filter(published__gte=filters["published_from"])
    if "published_to" in filters:
        queryset = queryset.filter(published__lte=filters["published_to"])
    if "q" in filters:
        # icontains works on both databases; the list is filtered by editors, not ranked.
        for word in filters["q"].split()[:8]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return queryset


def article_rows(queryset: QuerySet[Article]) -> QuerySet[Article]:
    return _open_counts(
        queryset.select_related("outlet", "assignee").defer("raw", "body", "removed_lines", "content_hash")
    ).order_by(F("published").desc(nulls_last=True), "-id")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@require_GET
@editor_required
def articles(request: HtmxHttpRequest) -> HttpResponse:
    users = list(staff_users())
    form = ArticleFilterForm(request.GET, users=users)
    filters = form.filters()
    matching = _filtered_articles(filters)
    counts = _state_counts(matching)
    paginator = CountedPaginator(article_rows(matching), ARTICLES_PER_PAGE, count=counts["total"])
    page = paginator.get_page(request.GET.get("page"))
    # the filters that are set, for the pager links and the address bar (no "?q=&state=&..." noise)
    query = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key != "page" and key in form.fields:
            query.setlist(key, [v for v in values if v.strip()])
    clean_query = query.copy()
    if page.number > 1:
        clean_query["page"] = str(page.number)
    here = reverse("articles") + (f"?{clean_query.urlencode()}" if clean_query else "")
    standards = is_standards(request.user)
    context = {
        "form": form,
        "page": page,
        "counts": counts,
        "query": query.urlencode(),
        "here": here,
        "can_assign": standards,
        "assignees": users if standards else [],
    }
    if wants_fragment(request):
        return vary_on_htmx(push_url(TemplateResponse(request, "articles.html#results", context), here))
    return vary_on_htmx(TemplateResponse(request, "articles.html", context))


@require_POST
@standards_required
def article_assign(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    form = ArticleAssignForm(request.POST)
    back = _safe_next(request, reverse("articles"))
    if not form.is_valid():
        if request.htmx:
            return vary_on_htmx(HttpResponse("That person cannot hold articles.", status=422))
        messages.error(request, "That person cannot hold articles.")
        return redirect(back)
    assignee = form.cleaned_data["assignee"]
    services.article_assign(article_id=article.pk, assignee=assignee, by=request.user)
    message = f"“{article}” is now assigned to {assignee.get_username() if assignee else 'nobody'}."
    if request.htmx:
        row = article_rows(Article.objects.filter(pk=article.pk)).get()
        context = {
            "article": row,
            "can_assign": True,
            "assignees": list(staff_users()),
            "here": back,
            "row_message": message,
        }
        return vary_on_htmx(TemplateResponse(request, "articles.html#row", context))
    messages.success(request, message)
    return HttpResponseRedirect(back)


# --- history ---------------------------------------------------------------------------

USER_FIELDS = {"assignee", "assignee_id", "reviewed_by", "reviewed_by_id", "actor"}
QUIET_FIELDS = {"version", "undid", "reviewed_at"}
SPAN_ROLES = ("source", "cue", "content", "anon_justification")


@dataclass
class Change:
    field: str
    before: Any
    after: Any


def _span_text(body: str, span: tuple[Any, Any]) -> str | None:
    start, end = span
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    text = body[start:end]
    if len(text) > 80:
        text = text[:38] + " … " + text[-38:]
    return f"{start}–{end} “{text}”"


def _changes(event: Event, users: dict[int, str], body: str = "") -> list[Change]:
    """The fields an event changed, before → after (all of ``after`` when there was no before).

    Span edges are shown as one change with the text they cover; user ids as usernames.
    """
    before, after = event.before or {}, event.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [Change("value", before, after)]
    out = []
    done: set[str] = set()
    for name in dict.fromkeys([*before, *after]):
        if name in done or name in QUIET_FIELDS:
            continue
        role = next((r for r in SPAN_ROLES if name in (f"{r}_start", f"{r}_end")), None)
        if role:
            keys = (f"{role}_start", f"{role}_end")
            done.update(keys)
            old_span, new_span = tuple(before.get(k) for k in keys), tuple(after.get(k) for k in keys)
            if old_span != new_span:
                label = role.removeprefix("anon_") + " span"
                out.append(Change(label, _span_text(body, old_span), _span_text(body, new_span)))
            continue
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in USER_FIELDS:
            old = users.get(old, old) if isinstance(old, int) else old
            new = users.get(new, new) if isinstance(new, int) else new
        out.append(Change(name.removesuffix("_id").replace("_", " "), old, new))
    return out


def _user_names(events: list[Event]) -> dict[int, str]:
    """Usernames for the user ids inside the events' before/after, in one query."""
    ids = set()
    for event in events:
        for snap in (event.before, event.after):
            if isinstance(snap, dict):
                ids.update(v for k, v in snap.items() if k in USER_FIELDS and isinstance(v, int))
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


@require_GET
@editor_required
def article_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(
        Article.objects.select_related("outlet").only("pk", "title", "body", "outlet__name", "state"), pk=pk
    )
    require_layer_visible(request.user, article)  # an editor's layer of a double review: theirs alone while open
    paginator = Paginator(Event.objects.for_article(article.pk), EVENTS_PER_PAGE)
    page: Page = paginator.get_page(request.GET.get("page"))
    events = list(page.object_list)
    users = _user_names(events)
    rows = [(event, _changes(event, users, article.body)) for event in events]
    context = {"article": article, "page": page, "rows": rows}
    template_name = "history.html"
    if wants_fragment(request):
        template_name += "#events"
    return vary_on_htmx(TemplateResponse(request, template_name, context))
