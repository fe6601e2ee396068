"""Running the pre-pass over stored articles (storing what it proposes: ``proposals.py``).

Claiming: a worker marks the articles it takes with its own token in one
conditional UPDATE, so two workers (on any number of machines sharing the
database) never process the same article twice; a claim left by a worker that
died becomes claimable again after ``PROCESSING_STALE_MINUTES``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from annotations import prepass
from annotations.models import Article, ArticleState

from .proposals import ProcessSummary, articles_store_proposals

BATCH = 32


def articles_claim(
    *, article_ids: Sequence[int], force: bool = False, unreviewed_only: bool = False
) -> tuple[uuid.UUID, list[int]]:
    """Take the articles no other worker holds; returns this claim's token and the ids taken.

    ``unreviewed_only`` (the re-run after a promotion): never a reviewed article, nor one an editor holds now.
    """
    token = uuid.uuid4()
    now = timezone.now()
    queryset = Article.objects.filter(pk__in=list(article_ids)).claimable_for_processing(now)
    if not force:
        queryset = queryset.filter(state=ArticleState.IMPORTED)
    # double review (issue 15): an article under double review and its editors' layers keep the proposals the
    # editors were given; a re-run leaves them alone
    queryset = queryset.exclude(state__in=[ArticleState.DOUBLE, ArticleState.LAYER])
    if unreviewed_only:
        queryset = queryset.exclude(state=ArticleState.REVIEWED).unleased(now)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Lock the rows we are about to take; rows another worker is claiming are passed over.
            ids = list(queryset.select_for_update(skip_locked=True).values_list("pk", flat=True))
            queryset = Article.objects.filter(pk__in=ids)
        queryset.update(processing_token=token, processing_started_at=now)
    taken = list(Article.objects.filter(processing_token=token).order_by("pk").values_list("pk", flat=True))
    return token, taken


def _release(token: uuid.UUID, article_ids: Iterable[int]) -> None:
    Article.objects.filter(pk__in=list(article_ids), processing_token=token).update(
        processing_token=None, processing_started_at=None
    )


def articles_process(
    *,
    article_ids: Sequence[int],
    force: bool = False,
    batch_size: int = BATCH,
    n_process: int = 1,
    on_article: Callable[[int], None] | None = None,
    unreviewed_only: bool = False,
) -> ProcessSummary:
    """Claim, run the pre-pass over, and store proposals for the given articles.

    Without ``force`` only articles still in the ``imported`` state are taken; with it
    (re-runs after a rules or model upgrade) any article, with editors' decisions kept.
    ``unreviewed_only`` leaves reviewed articles and articles an editor holds alone (the re-run after a
    model version is promoted). The pipeline is the active model version (``model_versions``).
    """
    from annotations.models import Outlet

    from .model_versions import active_model_name

    summary = ProcessSummary()
    outlets = list(Outlet.objects.values_list("name", flat=True))
    model_name = active_model_name()
    ids = list(article_ids)
    for offset in range(0, len(ids), 500):
        chunk = ids[offset : offset + 500]
        token, taken = articles_claim(article_ids=chunk, force=force, unreviewed_only=unreviewed_only)
        summary.skipped_claimed += len(chunk) - len(taken)
        if not taken:
            continue
        try:
            articles = list(Article.objects.filter(pk__in=taken).select_related("outlet").order_by("pk"))
            proposals = prepass.propose_many(
                (a.body for a in articles),
                outlets=outlets,
                own_outlets=[a.outlet.name for a in articles],
                batch_size=batch_size,
                n_process=n_process,
                model_name=model_name,
            )
            pairs: list[tuple[Article, prepass.ArticleProposal]] = []
            for article, proposal in zip(articles, proposals, strict=True):
                pairs.append((article, proposal))
                if len(pairs) >= batch_size or article is articles[-1]:
                    summary.add(articles_store_proposals(pairs=pairs, skip_reviewed=unreviewed_only))
                    _release(token, [a.pk for a, _ in pairs])
                    for done, _ in pairs:
                        summary.words += len(done.body.split())
                        if on_article:
                            on_article(done.pk)
                    pairs = []
        finally:
            _release(token, taken)
    return summary


def pending_article_ids(*, outlet_slugs: Sequence[str] = (), include_all: bool = False) -> list[int]:
    queryset = Article.objects.all()
    if outlet_slugs:
        queryset = queryset.filter(Q(outlet__slug__in=outlet_slugs) | Q(outlet__name__in=outlet_slugs))
    if not include_all:
        queryset = queryset.filter(state=ArticleState.IMPORTED)
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def articles_requeue_stranded() -> list[int]:
    """Queue the pre-pass again for every article still waiting for it that no live worker holds.

    A worker killed mid-batch leaves its task marked running for good and its claim on the articles it had not
    finished; its transaction per batch means none of them is half stored. The claims become claimable after
    ``PROCESSING_STALE_MINUTES``; this queues them (and any article whose task was lost) so that the batch
    completes. Queuing twice is harmless: a worker processes only what it can claim. Called when a worker
    starts (``manage.py db_worker``).
    """
    from annotations.tasks import enqueue_processing

    ids = list(
        Article.objects.filter(state=ArticleState.IMPORTED)
        .claimable_for_processing()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if ids:
        enqueue_processing(ids)
    return ids
