"""URL routes. Each area keeps its own section; views live in annotations/views/."""

from django.urls import path

from annotations.views import exports as export_views
from annotations.views import pages
from annotations.views import review as review_views
from annotations.views import stats as scorecard_views

urlpatterns: list = [
    # --- pages: home, articles, import, history (issue 5) ---
    path("", pages.home, name="home"),
    path("next/", pages.next_article, name="next_article"),
    path("articles/", pages.articles, name="articles"),
    path("articles/<int:pk>/assign/", pages.article_assign, name="article_assign"),
    path("articles/<int:pk>/history/", pages.article_history, name="article_history"),
    path("import/", pages.import_articles, name="import"),
    path("import/<str:token>/", pages.import_batch, name="import_batch"),
    # --- review page and its actions (issue 5) ---
    path("articles/<int:pk>/review/", review_views.review, name="review"),
    path("articles/<int:pk>/review/add/", review_views.attribution_add, name="review_add"),
    path("articles/<int:pk>/review/undo/", review_views.undo, name="review_undo"),
    path("articles/<int:pk>/review/done/", review_views.mark_reviewed, name="review_mark_reviewed"),
    path("attributions/<int:pk>/card/", review_views.attribution_card, name="review_card"),
    path("attributions/<int:pk>/confirm/", review_views.attribution_confirm, name="review_confirm"),
    path("attributions/<int:pk>/reject/", review_views.attribution_reject, name="review_reject"),
    path("attributions/<int:pk>/correct/", review_views.attribution_correct, name="review_correct"),
    path("sentences/<int:pk>/label/", review_views.sentence_label, name="review_label"),
    # --- exports (issue 6) ---
    path("exports/", export_views.exports, name="exports"),
    path("exports/download/", export_views.export_download, name="export_download"),
    # --- scorecard (issue 7) ---
    path("scorecard/", scorecard_views.scorecard, name="scorecard"),
    path("scorecard/compare/", scorecard_views.scorecard_compare, name="scorecard_compare"),
    path("scorecard/download.<str:fmt>", scorecard_views.scorecard_download, name="scorecard_download"),
    path("scorecard/outlet/<slug:slug>/", scorecard_views.scorecard_outlet, name="scorecard_outlet"),
]
