"""Storing what the pre-pass proposes for an article: sentences, attribution proposals, counts, the log.

First runs (nothing stored yet for the article, the common case) go in by batch: one bulk INSERT per
table for a whole batch of articles (``COPY`` on PostgreSQL), counts computed from what is inserted.

Re-runs replace only proposals nobody has touched: untouched proposals are
matched to the new ones by their spans and updated in place (ids kept, so
references stay valid), the rest of the untouched ones deleted, and a new
proposal that repeats something an editor already decided (confirmed,
corrected, rejected or added) is dropped.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.utils import timezone

from annotations import prepass
from annotations.models import (
    Article,
    ArticleCounts,
    ArticleState,
    Attribution,
    Event,
    Origin,
    ReviewState,
    Sentence,
)

from .common import bulk_insert_rows
from .counts import COUNT_FIELDS, article_confidence_refresh, article_counts_refresh, attribution_part, sentence_part

NUMBER_FIELDS = [name for name in COUNT_FIELDS if name not in ("outlet", "state", "published")]


@dataclass
class ProcessSummary:
    processed: int = 0
    skipped_claimed: int = 0
    sentences: int = 0
    attributions_created: int = 0
    attributions_updated: int = 0
    attributions_deleted: int = 0
    attributions_kept: int = 0
    words: int = 0

    def add(self, other: ProcessSummary) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def lines(self) -> list[str]:
        return [
            f"articles processed: {self.processed}",
            f"articles held by another worker: {self.skipped_claimed}",
            f"sentences stored: {self.sentences}",
            f"attribution proposals created: {self.attributions_created}, updated: {self.attributions_updated}, "
            f"withdrawn: {self.attributions_deleted}, decided by editors and kept: {self.attributions_kept}",
        ]


def _sentence_rows(article: Article, proposal: prepass.ArticleProposal) -> list[Sentence]:
    return [
        Sentence(
            article=article,
            index=i,
            start=s.start,
            end=s.end,
            label=s.label,
            proposed_label=s.label,
            label_origin=Origin.PREPASS,
            pipeline=proposal.pipeline,
            pipeline_version=proposal.version,
            confidence=s.confidence,
        )
        for i, s in enumerate(proposal.sentences)
    ]


def _store_sentences(article: Article, proposal: prepass.ArticleProposal, summary: ProcessSummary) -> list[Sentence]:
    existing = list(article.sentences.order_by("index"))
    new_rows = _sentence_rows(article, proposal)
    if not existing:
        Sentence.objects.bulk_create(new_rows)
        summary.sentences += len(new_rows)
        return new_rows  # bulk_create sets primary keys on PostgreSQL and SQLite >= 3.35
    same_bounds = [(s.start, s.end) for s in existing] == [(s.start, s.end) for s in new_rows]
    untouched = all(s.review_state == ReviewState.PROPOSED for s in existing)
    if not same_bounds and untouched:
        Attribution.objects.filter(article=article).update(sentence=None)
        article.sentences.all().delete()
        Sentence.objects.bulk_create(new_rows)
        summary.sentences += len(new_rows)
        return new_rows
    if same_bounds:
        # Boundaries kept; refresh the labels nobody has decided.
        changed = []
        for old, new in zip(existing, new_rows, strict=True):
            if old.review_state == ReviewState.PROPOSED and (old.label, old.confidence) != (new.label, new.confidence):
                old.label = old.proposed_label = new.label
                old.confidence = new.confidence
                old.pipeline, old.pipeline_version = new.pipeline, new.pipeline_version
                changed.append(old)
        Sentence.objects.bulk_update(changed, ["label", "proposed_label", "confidence", "pipeline", "pipeline_version"])
    # Boundaries differ but editors have labelled sentences: keep theirs as they are.
    return existing


def _sentence_index(sentences: Sequence, starts: list[int], offset: int | None) -> int | None:
    """Index of the sentence (``start``/``end`` in order; ``starts`` their starts) that holds ``offset``."""
    if offset is None:
        return None
    j = bisect_right(starts, offset) - 1
    return j if j >= 0 and offset < sentences[j].end else None


def _fields(proposal: prepass.AttributionProposal) -> dict:
    anon = proposal.anonymity if proposal.source_type == "anonymous" else None
    justification = anon.justification if anon else None
    return {
        "source_type": proposal.source_type,
        "source_start": proposal.source[0] if proposal.source else None,
        "source_end": proposal.source[1] if proposal.source else None,
        "cue_start": proposal.cue[0] if proposal.cue else None,
        "cue_end": proposal.cue[1] if proposal.cue else None,
        "content_start": proposal.content[0] if proposal.content else None,
        "content_end": proposal.content[1] if proposal.content else None,
        "quote_kind": proposal.quote_kind,
        "via": proposal.via[:200],
        "anon_descriptor": anon.descriptor[:200] if anon else "",
        "anon_seniority": anon.seniority if anon else "",
        "anon_number": anon.number if anon else "",
        "anon_justification_start": justification[0] if justification else None,
        "anon_justification_end": justification[1] if justification else None,
        "anon_specificity": anon.specificity if anon else "",
        "confidence": max(0.0, min(1.0, float(proposal.confidence))),
    }


SPAN_KEY_FIELDS = ("source_start", "source_end", "cue_start", "cue_end", "content_start", "content_end")


def _span_key(attribution: Attribution) -> tuple:
    return tuple(getattr(attribution, f) for f in SPAN_KEY_FIELDS)


def _store_attributions(
    article: Article, proposal: prepass.ArticleProposal, sentences: list[Sentence], summary: ProcessSummary
) -> None:
    existing = list(article.attributions.all())
    decided = [a for a in existing if a.review_state != ReviewState.PROPOSED or a.origin != Origin.PREPASS]
    untouched = {
        _span_key(a): a for a in existing if a.review_state == ReviewState.PROPOSED and a.origin == Origin.PREPASS
    }
    decided_cues = {(a.cue_start, a.cue_end) for a in decided if a.cue_start is not None}
    decided_keys = {_span_key(a) for a in decided}
    starts = [sentence.start for sentence in sentences]
    referenced = set(
        Attribution.objects.filter(article=article, speaker_ref__isnull=False)
        .exclude(review_state=ReviewState.PROPOSED)
        .values_list("speaker_ref_id", flat=True)
    )

    rows: list[Attribution | None] = []  # aligned with proposal.attributions
    to_create: list[Attribution] = []
    to_update: list[Attribution] = []
    for item in proposal.attributions:
        fields = _fields(item)
        key = tuple(fields[f] for f in SPAN_KEY_FIELDS)
        if key in decided_keys or (item.cue and (fields["cue_start"], fields["cue_end"]) in decided_cues):
            rows.append(None)  # an editor has already decided this one
            continue
        j = _sentence_index(sentences, starts, fields["cue_start"] if item.cue else fields["source_start"])
        sentence = sentences[j] if j is not None else None
        snapshot = {**item.as_dict(), "pipeline": proposal.pipeline, "version": proposal.version}
        snapshot["model_version"] = proposal.model_version
        row = untouched.pop(key, None)
        if row is None:
            row = Attribution(article=article, origin=Origin.PREPASS, proposal=snapshot)
            to_create.append(row)
        else:
            to_update.append(row)
            row.proposal = snapshot
        for name, value in fields.items():
            setattr(row, name, value)
        row.sentence = sentence
        row.pipeline, row.pipeline_version = proposal.pipeline, proposal.version
        row.model_version = proposal.model_version
        row.speaker_ref = None
        rows.append(row)

    # Withdraw untouched proposals the new run no longer makes (unless an editor's attribution points to them).
    stale = [a.pk for a in untouched.values() if a.pk not in referenced]
    if stale:
        Attribution.objects.filter(pk__in=stale).delete()
    Attribution.objects.bulk_create(to_create)
    # Speaker references point at rows that now have ids.
    linked = []
    for item, row in zip(proposal.attributions, rows, strict=True):
        if row is not None and item.speaker_ref is not None and 0 <= item.speaker_ref < len(rows):
            target = rows[item.speaker_ref]
            if target is not None and target is not row:
                row.speaker_ref = target
                linked.append(row)
    update_fields = [*_fields(proposal.attributions[0]).keys()] if proposal.attributions else []
    if to_update:
        Attribution.objects.bulk_update(
            to_update,
            [*update_fields, "sentence", "pipeline", "pipeline_version", "model_version", "proposal", "speaker_ref"],
        )
    if linked:
        Attribution.objects.bulk_update([r for r in linked if r not in to_update], ["speaker_ref"])
    summary.attributions_created += len(to_create)
    summary.attributions_updated += len(to_update)
    summary.attributions_deleted += len(stale)
    summary.attributions_kept += len(decided)


def article_store_proposal(
    *, article: Article, proposal: prepass.ArticleProposal, skip_reviewed: bool = False
) -> ProcessSummary:
    """Store one article's proposals (in a transaction) and move it on to pre-passed.

    ``skip_reviewed``: when the article is reviewed by the time its row is locked, store nothing (a re-run
    of unreviewed articles never adds proposals to one an editor finished meanwhile)."""
    summary = ProcessSummary(processed=1)
    with transaction.atomic():
        if skip_reviewed:
            state = Article.objects.select_for_update().filter(pk=article.pk).values_list("state", flat=True).first()
            if state in (None, ArticleState.REVIEWED):
                return ProcessSummary()
            article.state = state
        sentences = _store_sentences(article, proposal, summary)
        _store_attributions(article, proposal, sentences, summary)
        now = timezone.now()
        new_state = ArticleState.PREPASSED if article.state == ArticleState.IMPORTED else article.state
        Article.objects.filter(pk=article.pk).update(
            state=new_state,
            pipeline=proposal.pipeline,
            pipeline_version=proposal.version,
            model_version=proposal.model_version,
            processed_at=now,
            updated_at=now,
        )
        article_counts_refresh(article_ids=[article.pk])
        article_confidence_refresh(article_ids=[article.pk])
        _prepass_event(article, new_state, proposal, summary).save()
    return summary


def _fresh(article_ids: list[int]) -> set[int]:
    """The articles with no sentences and no attributions stored yet (a first run)."""
    stored = set(Sentence.objects.filter(article_id__in=article_ids).values_list("article_id", flat=True).distinct())
    stored |= set(
        Attribution.objects.filter(article_id__in=article_ids).values_list("article_id", flat=True).distinct()
    )
    return set(article_ids) - stored


def _prepass_event(
    article: Article, new_state: str, proposal: prepass.ArticleProposal, summary: ProcessSummary
) -> Event:
    """The log entry of one article's pre-pass run (``summary``: what it did to that article)."""
    return Event(
        actor=None,
        article_id=article.pk,
        object_type="article",
        object_id=article.pk,
        action="prepass",
        before={"state": article.state},
        after={
            "state": new_state,
            "pipeline": proposal.pipeline,
            "version": proposal.version,
            "model_version": proposal.model_version,
            "sentences": len(proposal.sentences),
            "created": summary.attributions_created,
            "updated": summary.attributions_updated,
            "withdrawn": summary.attributions_deleted,
            "kept": summary.attributions_kept,
        },
    )


SENTENCE_COLUMNS = [
    "article_id",
    "index",
    "start",
    "end",
    "label",
    "proposed_label",
    "label_origin",
    "pipeline",
    "pipeline_version",
    "confidence",
]
ATTRIBUTION_COLUMNS = [
    "article_id", "sentence_id", "origin", "proposal", "pipeline", "pipeline_version", "model_version"
]  # fmt: skip


def _store_fresh(pairs: list[tuple[Article, prepass.ArticleProposal]], summary: ProcessSummary) -> None:
    """First-run storage of a batch of articles in one transaction: one bulk INSERT per table for the
    whole batch (rows as tuples, no model instances), counts computed here from what is inserted
    (nothing else can be in the database for these articles yet)."""
    now = timezone.now()
    with transaction.atomic():
        sentence_rows = [
            (article.pk, i, sp.start, sp.end, sp.label, sp.label, Origin.PREPASS, p.pipeline, p.version, sp.confidence)
            for article, p in pairs
            for i, sp in enumerate(p.sentences)
        ]
        sentence_ids = bulk_insert_rows(Sentence, SENTENCE_COLUMNS, sentence_rows)
        field_names: list[str] = []
        attribution_rows, fields_of, first_of = [], [], []
        k = 0
        for article, proposal in pairs:
            n = len(proposal.sentences)
            starts = [sp.start for sp in proposal.sentences]
            first_of.append(len(fields_of))
            for item in proposal.attributions:
                fields = _fields(item)
                if not field_names:
                    field_names = list(fields)
                j = _sentence_index(
                    proposal.sentences, starts, fields["cue_start"] if item.cue else fields["source_start"]
                )
                sentence_id = sentence_ids[k + j] if j is not None else None
                snapshot = {**item.as_dict(), "pipeline": proposal.pipeline, "version": proposal.version}
                snapshot["model_version"] = proposal.model_version
                attribution_rows.append(
                    (
                        article.pk,
                        sentence_id,
                        Origin.PREPASS,
                        snapshot,
                        proposal.pipeline,
                        proposal.version,
                        proposal.model_version,
                        *fields.values(),
                    )
                )
                fields_of.append(fields)
            k += n
        attribution_ids = bulk_insert_rows(Attribution, [*ATTRIBUTION_COLUMNS, *field_names], attribution_rows)
        linked = []
        for (_, proposal), first in zip(pairs, first_of, strict=True):
            for n, item in enumerate(proposal.attributions):
                ref = item.speaker_ref
                if ref is not None and 0 <= ref < len(proposal.attributions) and ref != n:
                    linked.append(
                        Attribution(pk=attribution_ids[first + n], speaker_ref_id=attribution_ids[first + ref])
                    )
        if linked:
            Attribution.objects.bulk_update(linked, ["speaker_ref"])

        counts, events = [], []
        groups: dict[tuple[str, str, str, str], list[int]] = {}
        for (article, proposal), first in zip(pairs, first_of, strict=True):
            new_state = ArticleState.PREPASSED if article.state == ArticleState.IMPORTED else article.state
            key = (new_state, proposal.pipeline, proposal.version, proposal.model_version)
            groups.setdefault(key, []).append(article.pk)
            values = dict.fromkeys(NUMBER_FIELDS, 0)
            for fields in fields_of[first : first + len(proposal.attributions)]:
                for name, n in attribution_part({**fields, "review_state": ReviewState.PROPOSED}).items():
                    values[name] += n
            for sp in proposal.sentences:
                for name, n in sentence_part(sp.label).items():
                    values[name] += n
            values.update(state=new_state, published=article.published)
            counts.append(ArticleCounts(article_id=article.pk, outlet_id=article.outlet_id, **values))
            created = ProcessSummary(processed=1, attributions_created=len(proposal.attributions))
            events.append(_prepass_event(article, new_state, proposal, created))
            summary.processed += 1
            summary.sentences += len(proposal.sentences)
            summary.attributions_created += len(proposal.attributions)
        for (new_state, pipeline, version, model_version), ids in groups.items():
            Article.objects.filter(pk__in=ids).update(
                state=new_state,
                pipeline=pipeline,
                pipeline_version=version,
                model_version=model_version,
                processed_at=now,
                updated_at=now,
            )
        article_confidence_refresh(article_ids=[article.pk for article, _ in pairs])
        ArticleCounts.objects.bulk_create(
            counts, update_conflicts=True, unique_fields=["article"], update_fields=COUNT_FIELDS
        )
        Event.objects.bulk_create(events)


def articles_store_proposals(
    *, pairs: Sequence[tuple[Article, prepass.ArticleProposal]], skip_reviewed: bool = False
) -> ProcessSummary:
    """Store a batch of pre-pass results.

    Articles with nothing stored yet (the first run, the common case) are written together by
    ``_store_fresh``; the others, and every article of a batch whose joint write failed, go through
    ``article_store_proposal`` one at a time (the re-run rules, and an error that names one article).
    """
    summary = ProcessSummary()
    fresh_ids = _fresh([article.pk for article, _ in pairs])
    fresh = [(a, p) for a, p in pairs if a.pk in fresh_ids]
    rest = [(a, p) for a, p in pairs if a.pk not in fresh_ids]
    if fresh:
        try:
            batch = ProcessSummary()
            _store_fresh(fresh, batch)
            summary.add(batch)
        except DatabaseError:
            rest = list(pairs)  # nothing of the batch was written: one at a time, so the error names its article
    for article, proposal in rest:
        summary.add(article_store_proposal(article=article, proposal=proposal, skip_reviewed=skip_reviewed))
    # double review (issue 15): start the reviews these articles waited for; the standing rule takes its share of
    # the new imports among them
    from .double_review import double_reviews_after_prepass

    double_reviews_after_prepass(
        article_ids=[a.pk for a, _ in pairs], new_ids=[a.pk for a, _ in pairs if a.state == ArticleState.IMPORTED]
    )
    return summary
