"""The demo editor's review: a gold file (``annotations/demo_gold.py``) applied to a pre-passed article as an
editor's decisions, through the review services, so every decision is an ordinary event in the History.

Each pre-pass proposal is matched to at most one gold attribution: first by overlapping cues (the largest
overlap first, then the largest source overlap), then, for what is left, by overlapping sources. A match equal
in every editable field is confirmed, a match that differs is corrected to the gold, a proposal with no match
is rejected, and a gold attribution with no proposal is added. Sentence labels that differ from the gold are
set; the article is then marked reviewed (which confirms the labels left as proposed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction

from annotations.demo_gold import Gold, gold_path, read_gold, sentence_labels
from annotations.models import DECIDED_FIELDS, Article, ArticleState, Attribution, ReviewState
from annotations.roles import EDITOR

from .common import ConflictError
from .review import (
    article_mark_reviewed,
    attribution_add,
    attribution_confirm,
    attribution_correct,
    attribution_reject,
    sentence_label_set,
)

DEMO_EDITOR = "demo_editor"
# the fields a gold attribution sets: every editable field (speaker_ref_id from the gold's ``speaker_ref``)
GOLD_FIELDS = DECIDED_FIELDS


@dataclass
class GoldReview:
    """What applying a gold file decided in one article."""

    article_id: int
    confirmed: int = 0
    corrected: int = 0
    rejected: int = 0
    added: int = 0
    labels: int = 0

    @property
    def decisions(self) -> int:
        return self.confirmed + self.corrected + self.rejected + self.added + self.labels


def demo_editor_get_or_create() -> User:
    """The account the demo reviews are made by: an editor that cannot log in (no password, inactive), so the
    History reads "demo_editor" and nobody's own account holds decisions they never made."""
    user, created = User.objects.get_or_create(
        username=DEMO_EDITOR, defaults={"first_name": "Demo", "last_name": "Editor", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=EDITOR))
    return user


def _overlap(a: tuple[int | None, int | None], b: tuple[int | None, int | None]) -> int:
    if None in a or None in b:
        return 0
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _match(proposals: Sequence[Attribution], gold: Sequence[Mapping[str, Any]]) -> dict[int, Attribution]:
    """Gold index -> the proposal matched to it (one to one)."""

    def span(obj, role: str) -> tuple[int | None, int | None]:
        if isinstance(obj, Mapping):
            return obj[f"{role}_start"], obj[f"{role}_end"]
        return getattr(obj, f"{role}_start"), getattr(obj, f"{role}_end")

    matched: dict[int, Attribution] = {}
    taken: set[int] = set()
    for role in ("cue", "source"):
        pairs = []
        for g in gold:
            if g["index"] in matched:
                continue
            for p in proposals:
                if p.pk in taken:
                    continue
                main = _overlap(span(g, role), span(p, role))
                if main:
                    pairs.append((-main, -_overlap(span(g, "source"), span(p, "source")), g["index"], p.pk, p))
        for _main, _source, index, pk, proposal in sorted(pairs, key=lambda x: x[:4]):
            if index not in matched and pk not in taken:
                matched[index] = proposal
                taken.add(pk)
    return matched


@transaction.atomic
def article_apply_gold(*, article_id: int, user, gold: Gold) -> GoldReview | None:
    """Review one pre-passed article as ``user`` with ``gold`` as the decisions; None if already reviewed.

    Only untouched proposals are decided; one event per decision, one for marking the article reviewed.
    """
    article = Article.objects.select_for_update().only("pk", "state").get(pk=article_id)
    if article.state == ArticleState.REVIEWED:
        return None
    if article.state == ArticleState.IMPORTED:
        raise ConflictError(f"Article {article_id} has not been through the pre-pass yet.")
    review = GoldReview(article_id=article_id)
    proposals = list(Attribution.objects.filter(article_id=article_id).untouched().in_reading_order())
    matched = _match(proposals, gold.attributions)
    ids: dict[int, int] = {}  # gold index -> the attribution standing for it
    for g in gold.attributions:
        fields = {name: g[name] for name in GOLD_FIELDS}
        fields["speaker_ref_id"] = None if g["speaker_ref"] is None else ids[g["speaker_ref"]]
        proposal = matched.get(g["index"])
        if proposal is None:
            ids[g["index"]] = attribution_add(article_id=article_id, user=user, fields=fields).pk
            review.added += 1
            continue
        ids[g["index"]] = proposal.pk
        changes = {name: value for name, value in fields.items() if getattr(proposal, name) != value}
        if changes:
            done = attribution_correct(attribution_id=proposal.pk, user=user, version=proposal.version, changes=changes)
            if done.review_state != ReviewState.PROPOSED:
                review.corrected += 1
                continue
        attribution_confirm(attribution_id=proposal.pk, user=user, version=None)
        review.confirmed += 1
    for proposal in proposals:
        if proposal.pk not in ids.values():
            attribution_reject(attribution_id=proposal.pk, user=user, version=proposal.version)
            review.rejected += 1
    sentences = list(article.sentences.order_by("index"))
    wanted = sentence_labels(gold.sentences, [(s.start, s.end) for s in sentences])
    for sentence, label in zip(sentences, wanted, strict=True):
        if sentence.label != label:
            sentence_label_set(sentence_id=sentence.pk, user=user, version=sentence.version, label=label)
            review.labels += 1
    article_mark_reviewed(article_id=article_id, user=user)
    return review


def articles_apply_demo_gold(*, article_ids: Sequence[int], user=None) -> list[GoldReview]:
    """Review the given demo articles that have a gold file (``annotations/demo/gold/``) and are pre-passed
    and not yet reviewed, each in its own transaction, as ``user`` (default: the demo editor)."""
    articles = (
        Article.objects.filter(pk__in=list(article_ids), state__in=[ArticleState.PREPASSED, ArticleState.IN_REVIEW])
        .only("pk", "source_name", "external_id", "body")
        .order_by("pk")
    )
    reviews = []
    for article in articles:
        path = gold_path(source_name=article.source_name, external_id=article.external_id)
        if path is None:
            continue
        gold = read_gold(path, article.body)
        user = user or demo_editor_get_or_create()
        review = article_apply_gold(article_id=article.pk, user=user, gold=gold)
        if review is not None:
            reviews.append(review)
    return reviews
