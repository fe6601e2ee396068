"""Every write of the app: ``<entity>_<action>()`` functions, keyword-only, each in a transaction.

Split by area (imports, processing, review) once the module passed ~400 lines;
import from here: ``from annotations import services``.
"""

from .adjudication import adjudication_choose, adjudication_finish
from .common import ConflictError, StaleVersionError, event_record
from .counts import article_counts_rebuild, article_counts_refresh
from .demo import DEMO_EDITOR, GoldReview, article_apply_gold, articles_apply_demo_gold, demo_editor_get_or_create
from .double_review import (  # double review, agreement, adjudication (issue 15)
    MarkSummary,
    double_review_mark,
    double_review_rule_set,
    double_review_start,
    double_reviews_after_prepass,
    double_reviews_start_waiting,
)
from .double_review_close import double_review_layer_submitted
from .double_review_manage import double_review_cancel, double_review_layer_reassign
from .imports import ImportSummary, article_create, articles_import, content_hash, outlet_get_or_create
from .processing import articles_claim, articles_process, articles_requeue_stranded, pending_article_ids
from .proposals import ProcessSummary, article_store_proposal, articles_store_proposals
from .review import (
    article_assign,
    article_lease_next,
    article_lease_renew,
    article_mark_reviewed,
    article_open_items,
    article_undo_last,
    attribution_add,
    attribution_confirm,
    attribution_correct,
    attribution_reject,
    sentence_label_set,
)
from .roundtrip import article_import_annotated, article_restore_annotations

__all__ = [
    "DEMO_EDITOR",
    "ConflictError",
    "GoldReview",
    "ImportSummary",
    "MarkSummary",
    "ProcessSummary",
    "StaleVersionError",
    "adjudication_choose",
    "adjudication_finish",
    "article_apply_gold",
    "article_assign",
    "article_counts_rebuild",
    "article_counts_refresh",
    "article_create",
    "article_import_annotated",
    "article_lease_next",
    "article_lease_renew",
    "article_mark_reviewed",
    "article_open_items",
    "article_restore_annotations",
    "article_store_proposal",
    "article_undo_last",
    "articles_apply_demo_gold",
    "articles_claim",
    "articles_import",
    "articles_process",
    "articles_requeue_stranded",
    "articles_store_proposals",
    "attribution_add",
    "attribution_confirm",
    "attribution_correct",
    "attribution_reject",
    "content_hash",
    "demo_editor_get_or_create",
    "double_review_cancel",
    "double_review_layer_reassign",
    "double_review_layer_submitted",
    "double_review_mark",
    "double_review_rule_set",
    "double_review_start",
    "double_reviews_after_prepass",
    "double_reviews_start_waiting",
    "event_record",
    "outlet_get_or_create",
    "pending_article_ids",
    "sentence_label_set",
]
