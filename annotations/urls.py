"""URL routes. Each area keeps its own section; views live in annotations/views/."""

from django.urls import path

from annotations.views import adjudication as adjudication_views
from annotations.views import agreement as agreement_views
from annotations.views import double_review as double_review_views
from annotations.views import exports as export_views
from annotations.views import imports as import_views
from annotations.views import learning as learning_views
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
    path("import/", import_views.import_articles, name="import"),
    path("import/<str:token>/", import_views.import_batch, name="import_batch"),
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
    # --- model versions: retraining from reviews, promotion, re-run (issue 14) ---
    path("models/", learning_views.model_versions, name="model_versions"),
    path("models/train/", learning_views.model_version_train, name="model_version_train"),
    path("models/shipped/", learning_views.model_use_shipped, name="model_use_shipped"),
    path("models/rerun/", learning_views.model_rerun, name="model_rerun"),
    path("models/<int:pk>/", learning_views.model_version, name="model_version"),
    path("models/<int:pk>/promote/", learning_views.model_version_promote, name="model_version_promote"),
    # --- double review, agreement, adjudication (issue 15) ---
    path("double-review/", double_review_views.double_reviews, name="double_reviews"),
    path("double-review/mark/", double_review_views.mark, name="double_review_mark"),
    path("double-review/rule/", double_review_views.rule, name="double_review_rule"),
    path("double-review/start/", double_review_views.start_waiting, name="double_review_start"),
    path("double-review/<int:article_id>/", double_review_views.detail, name="double_review_detail"),
    path("double-review/<int:article_id>/reassign/", double_review_views.layer_reassign, name="double_review_reassign"),
    path("double-review/<int:article_id>/cancel/", double_review_views.cancel, name="double_review_cancel"),
    path("agreement/", agreement_views.agreement_page, name="agreement"),
    path("agreement/download.<str:fmt>", agreement_views.agreement_download, name="agreement_download"),
    path("articles/<int:pk>/adjudicate/", adjudication_views.adjudication, name="adjudication"),
    path("articles/<int:pk>/adjudicate/finish/", adjudication_views.finish, name="adjudication_finish"),
    path("adjudication/<int:pk>/", adjudication_views.item, name="adjudication_item"),
    path("adjudication/<int:pk>/choose/", adjudication_views.choose, name="adjudication_choose"),
    path("adjudication/<int:pk>/edit/", adjudication_views.edit, name="adjudication_edit"),
]
