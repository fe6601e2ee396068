"""URL routes. Each area keeps its own section; views live in annotations/views/."""

from django.urls import path

from annotations.views import pages
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
    # --- exports (issue 6) ---
    # --- scorecard (issue 7) ---
    path("scorecard/", scorecard_views.scorecard, name="scorecard"),
    path("scorecard/compare/", scorecard_views.scorecard_compare, name="scorecard_compare"),
    path("scorecard/download.<str:fmt>", scorecard_views.scorecard_download, name="scorecard_download"),
    path("scorecard/outlet/<slug:slug>/", scorecard_views.scorecard_outlet, name="scorecard_outlet"),
]
