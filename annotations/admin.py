from django.contrib import admin
from django.db.models import Count

from annotations import services
from annotations.models import Article, Attribution, Event, Outlet, Sentence


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
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


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
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
    ]
    inlines = [SentenceInline]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        services.article_counts_refresh(article_ids=[obj.pk])  # outlet, state or date may have changed


@admin.register(Sentence)
class SentenceAdmin(admin.ModelAdmin):
    list_display = ["article", "index", "start", "end", "label", "confidence", "review_state"]
    list_filter = ["label", "review_state"]
    list_select_related = ["article"]
    raw_id_fields = ["article"]
    # Labels are changed in the review page, through the services, so that every change is logged.
    readonly_fields = [f.name for f in Sentence._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Attribution)
class AttributionAdmin(admin.ModelAdmin):
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
