"""The Django admin: a window on the data, writing only through the services.

What the review services own (an article's state, assignee and lease; decisions and labels) is
read-only here. An article's metadata is saved by ``services.admin.article_edit`` against the
version the form was loaded with (a stale one gets a 409); every delete, one row or a bulk action,
goes through ``services.admin`` so it leaves an ``Event`` and the scorecard's counts stay exact.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse

from annotations import services
from annotations.models import Article, Attribution, Event, Outlet, Sentence
from annotations.services import admin as admin_services


class ServiceDeletesMixin:
    """Deletes (the delete page and the "delete selected" action) through a service."""

    delete_service = None

    def delete_model(self, request, obj) -> None:
        self.delete_service(ids=[obj.pk], user=request.user)

    def delete_queryset(self, request, queryset) -> None:
        self.delete_service(ids=list(queryset.values_list("pk", flat=True)), user=request.user)


def _delete_outlets(*, ids, user):
    return admin_services.outlets_delete(outlet_ids=ids, user=user)


def _delete_articles(*, ids, user):
    return admin_services.articles_delete(article_ids=ids, user=user)


def _delete_attributions(*, ids, user):
    return admin_services.attributions_delete(attribution_ids=ids, user=user)


@admin.register(Outlet)
class OutletAdmin(ServiceDeletesMixin, admin.ModelAdmin):
    delete_service = staticmethod(_delete_outlets)
    list_display = ["name", "slug", "domain", "article_count"]
    search_fields = ["name", "domain"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_articles=Count("articles"))

    @admin.display(ordering="n_articles", description="articles")
    def article_count(self, obj: Outlet) -> int:
        return obj.n_articles


class SentenceInline(admin.TabularInline):
    model = Sentence
    fields = ["index", "start", "end", "text", "label", "confidence", "review_state"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="text")
    def text(self, obj: Sentence) -> str:
        return obj.article.body[obj.start : obj.end]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("article")


class ArticleAdminForm(forms.ModelForm):
    # the version the form was loaded with: saving against a newer one is refused (409)
    seen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Article
        fields = list(admin_services.ARTICLE_ADMIN_FIELDS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["seen_version"].initial = self.instance.version


@admin.register(Article)
class ArticleAdmin(ServiceDeletesMixin, admin.ModelAdmin):
    form = ArticleAdminForm
    delete_service = staticmethod(_delete_articles)
    list_display = ["title", "outlet", "published", "state", "assignee", "created_at"]
    list_filter = ["state", "outlet", "source_format"]
    search_fields = ["title", "byline", "url", "external_id"]
    date_hierarchy = "published"
    list_select_related = ["outlet", "assignee"]
    readonly_fields = [
        "raw",
        "body",
        "body_length",
        "content_hash",
        "removed_lines",
        "source_format",
        "source_name",
        "imported_by",
        "pipeline",
        "pipeline_version",
        "processed_at",
        "reviewed_by",
        "reviewed_at",
        "created_at",
        "updated_at",
        "version",
        # the review queue's: changed by the review services (Next article, Assign, Mark reviewed)
        "state",
        "assignee",
        "lease_expires_at",
    ]
    inlines = [SentenceInline]

    def has_add_permission(self, request) -> bool:
        return False  # articles come in through the import, which cleans them and counts them

    def save_model(self, request, obj, form, change) -> None:
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name in admin_services.ARTICLE_ADMIN_FIELDS
        }
        saved = admin_services.article_edit(
            article_id=obj.pk, user=request.user, version=form.cleaned_data["seen_version"], changes=changes
        )
        obj.version = saved.version

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.StaleVersionError as exc:
            context = {**self.admin_site.each_context(request), "reason": str(exc)}
            return TemplateResponse(request, "admin/annotations/not_saved.html", context, status=409)


@admin.register(Sentence)
class SentenceAdmin(admin.ModelAdmin):
    # Sentences are the article's split, made by the pre-pass: never deleted on their own.
    list_display = ["article", "index", "start", "end", "label", "confidence", "review_state"]
    list_filter = ["label", "review_state"]
    list_select_related = ["article"]
    raw_id_fields = ["article"]
    # Labels are changed in the review page, through the services, so that every change is logged.
    readonly_fields = [f.name for f in Sentence._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    # The permission stays, so an article's delete may take its sentences along (the admin checks it
    # for every cascaded row); deleting sentences by themselves is what is refused.
    actions = None  # no "delete selected"

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied("Sentences are deleted only with their article.")

    def delete_model(self, request, obj) -> None:
        raise PermissionDenied("Sentences are deleted only with their article.")

    def delete_queryset(self, request, queryset) -> None:
        raise PermissionDenied("Sentences are deleted only with their article.")


@admin.register(Attribution)
class AttributionAdmin(ServiceDeletesMixin, admin.ModelAdmin):
    delete_service = staticmethod(_delete_attributions)
    list_display = ["id", "article", "source_type", "quote_kind", "via", "review_state", "confidence", "origin"]
    list_filter = ["source_type", "review_state", "origin", "quote_kind", "anon_specificity"]
    list_select_related = ["article"]
    search_fields = ["via", "anon_descriptor"]
    raw_id_fields = ["article", "sentence", "speaker_ref"]
    readonly_fields = [f.name for f in Attribution._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "article_id", "object_type", "object_id", "action"]
    list_filter = ["action", "object_type"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
