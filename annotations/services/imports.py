"""Importing articles: each one stored in its own transaction, duplicates skipped, problems reported.

Nothing a file holds ends an import: a record that cannot be read or stored is an ``ImportProblem`` (file,
line, field) and the next one goes on. Articles are queued for the pre-pass as they are stored (every
``tasks.CHUNK``) and whatever is left is queued in a ``finally``, so an import that stops early never strands
what it stored; a re-import of content that is stored but was never pre-passed queues it again.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from annotations.import_checks import ImportProblem, ParsedArticle, shorten
from annotations.importing import read_upload
from annotations.models import Article, ArticleCounts, ArticleState, Event, Outlet

from .common import event_record

logger = logging.getLogger(__name__)


@dataclass
class ImportSummary:
    imported: list[int] = field(default_factory=list)
    duplicates: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    removed_lines: int = 0
    outlets: set[str] = field(default_factory=set)
    restored: list[int] = field(default_factory=list)  # came with their annotations: no pre-pass
    queued: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)  # duplicates stored before but never pre-passed: queued

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def lines(self) -> list[str]:
        out = [
            f"imported: {len(self.imported)}",
            f"duplicates skipped: {self.duplicates}"
            + (f" ({len(self.requeued)} not pre-passed yet: queued again)" if self.requeued else ""),
            f"skipped with problems: {self.skipped}",
            f"boilerplate lines removed: {self.removed_lines}",
        ]
        out += [f"  - {problem}" for problem in self.problems]
        return out

    def as_dict(self) -> dict:
        return {
            "imported": len(self.imported),
            "article_ids": self.imported,
            "duplicates": self.duplicates,
            "requeued": len(self.requeued),
            "skipped": [str(p) for p in self.problems],
            "removed_lines": self.removed_lines,
        }


_WS = re.compile(r"\s+")


def content_hash(body: str) -> str:
    """sha256 of the body with Unicode, case and white space normalised: the same story pasted twice matches."""
    normal = _WS.sub(" ", unicodedata.normalize("NFKC", body)).strip().casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def outlet_get_or_create(*, name: str, domain: str = "") -> Outlet:
    name = " ".join(name.split())
    outlet = Outlet.objects.filter(name__iexact=name).first()
    if outlet:
        return outlet
    base = slugify(name)[:190] or "outlet"
    slug, n = base, 1
    while Outlet.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    with transaction.atomic():
        try:
            return Outlet.objects.create(name=name, slug=slug, domain=domain)
        except IntegrityError:  # created by a concurrent import
            pass
    return Outlet.objects.get(name__iexact=name)


def article_create(*, parsed: ParsedArticle, outlet: Outlet, user=None, batch: str = "") -> Article | None:
    """Store one parsed article; None when the same content is already stored for the outlet.

    ``batch``: the background import it belongs to, kept in its ``import`` event (the import page counts them).
    """
    digest = content_hash(parsed.body)
    if Article.objects.filter(outlet=outlet, content_hash=digest).exists():
        return None
    after = {"source": parsed.source_name, "format": parsed.source_format, "outlet": outlet.name}
    if batch:
        after["batch"] = batch
    try:
        with transaction.atomic():
            article = Article.objects.create(
                outlet=outlet,
                title=parsed.title[:1000],
                byline=parsed.byline[:500],
                url=parsed.url[:2000],
                published=parsed.published,
                external_id=parsed.external_id[:200],
                source_format=parsed.source_format,
                source_name=parsed.source_name[:500],
                raw=parsed.raw,
                body=parsed.body,
                removed_lines=parsed.removed_lines,
                content_hash=digest,
                imported_by=user if getattr(user, "is_authenticated", False) else None,
            )
            ArticleCounts.objects.create(
                article=article, outlet=outlet, state=article.state, published=article.published
            )
            event_record(
                actor=user,
                article_id=article.pk,
                object_type="article",
                object_id=article.pk,
                action="import",
                after=after,
            )
    except IntegrityError:
        if Article.objects.filter(outlet=outlet, content_hash=digest).exists():
            return None  # the same content, stored by a concurrent import
        raise  # another constraint: the caller reports it as a problem of this record
    return article


def unprocessed_duplicate(*, parsed: ParsedArticle, outlet: Outlet) -> int | None:
    """The id of the stored article with this content when it still waits for the pre-pass (state imported)."""
    return (
        Article.objects.filter(outlet=outlet, content_hash=content_hash(parsed.body), state=ArticleState.IMPORTED)
        .values_list("pk", flat=True)
        .first()
    )


def where(parsed: ParsedArticle) -> tuple[str, int | None]:
    """The file and line a parsed article came from (``source_name`` is "file:line" for jsonl/csv records)."""
    name, _, line = parsed.source_name.rpartition(":")
    return (name, int(line)) if name and line.isdigit() else (parsed.source_name, None)


def _storage_problem(parsed: ParsedArticle, exc: Exception) -> ImportProblem:
    name, line = where(parsed)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    logger.warning("import: %s line %s could not be stored: %r", name, line, exc)
    return ImportProblem(name, line, None, f"could not be stored ({type(exc).__name__}: {shorten(message)})")


def _store(
    item: ParsedArticle, *, outlets: dict[str, Outlet], user, batch: str
) -> tuple[Article | ImportProblem | None, bool, Outlet]:
    """Store one parsed article (or restore an exported one) in a savepoint: (article or problem, restored, outlet).

    A failure rolls back the savepoint only (the outlet too, if it was created for this record), so the
    transaction around the import stays usable and nothing stored before is lost.
    """
    key = item.outlet.casefold()
    with transaction.atomic():
        outlet = outlets.get(key) or outlet_get_or_create(name=item.outlet)
        if "sentences" in item.extra or "attributions" in item.extra:  # an export read back: no pre-pass
            from .roundtrip import article_import_annotated

            article = article_import_annotated(parsed=item, outlet=outlet, user=user, batch=batch)
            restored = True
        else:
            article = article_create(parsed=item, outlet=outlet, user=user, batch=batch)
            restored = False
    outlets[key] = outlet
    return article, restored, outlet


def articles_import(
    *,
    files: Iterable[tuple[str, bytes]],
    outlet_name: str | None = None,
    fmt: str = "auto",
    user=None,
    enqueue: bool = True,
    on_article: Callable[[], None] | None = None,
    batch: str = "",
) -> ImportSummary:
    """Import every article of every file. A bad article is reported and skipped; the rest go on.

    Never raises for what a file holds: a record that cannot be read or stored is a problem (file, line,
    field). Articles longer than ``settings.MAX_ARTICLE_CHARS`` are problems too. With ``enqueue`` the new
    articles are queued for the pre-pass (a ``django.tasks`` task) as they are stored, the rest in a
    ``finally``; a duplicate of an article that still waits for the pre-pass is queued again.
    """
    from annotations.tasks import CHUNK

    summary = ImportSummary()
    outlets: dict[str, Outlet] = {}
    max_chars = getattr(settings, "MAX_ARTICLE_CHARS", None)
    pending: list[int] = []
    seen: set[int] = set()

    def flush() -> None:
        if enqueue and pending:
            from annotations.tasks import enqueue_processing

            enqueue_processing(list(pending))
            summary.queued += pending
        pending.clear()

    try:
        for name, data in files:
            for item in read_upload(name, data, fmt=fmt, outlet=outlet_name, max_chars=max_chars):
                if on_article:
                    on_article()
                if isinstance(item, ImportProblem):
                    summary.problems.append(item)
                    continue
                try:
                    article, restored, outlet = _store(item, outlets=outlets, user=user, batch=batch)
                    waiting = None if article is not None else unprocessed_duplicate(parsed=item, outlet=outlet)
                except Exception as exc:  # a record must never end the import: report it, go on with the next
                    summary.problems.append(_storage_problem(item, exc))
                    continue
                if isinstance(article, ImportProblem):
                    summary.problems.append(article)
                    continue
                if article is None:
                    summary.duplicates += 1
                    if waiting is not None and waiting not in seen:
                        seen.add(waiting)
                        summary.requeued.append(waiting)
                        pending.append(waiting)
                    continue
                seen.add(article.pk)
                summary.imported.append(article.pk)
                summary.removed_lines += len(item.removed_lines)
                summary.outlets.add(outlet.name)
                if restored:
                    summary.restored.append(article.pk)
                    if article.state == ArticleState.IMPORTED:  # restored without sentences: pre-pass it
                        pending.append(article.pk)
                else:
                    pending.append(article.pk)
                if len(pending) >= CHUNK:
                    flush()
    finally:
        flush()
    return summary


# --- imports too large for one request: a background task (annotations.tasks.import_files) --------------------


def problem_dicts(problems: Iterable[ImportProblem], limit: int) -> list[dict]:
    out = []
    for problem in problems:
        if len(out) >= limit:
            break
        out.append({"source": problem.source, "line": problem.line, "field": problem.field, "message": problem.message})
    return out


def import_batch_queue(
    *, batch: str, files: Iterable[tuple[str, bytes]], outlet_name: str | None, fmt: str, user, records: int
) -> Event:
    """Queue a background import of ``files`` (``tasks.import_files``); its ``import_queued`` event says so."""
    from annotations.tasks import enqueue_import

    files = list(files)
    with transaction.atomic():
        event = event_record(
            actor=user,
            article_id=None,
            object_type="import",
            object_id=None,
            action="import_queued",
            after={"batch": batch, "files": [name for name, _ in files], "records": records},
        )
        user_id = user.pk if getattr(user, "is_authenticated", False) else None
        transaction.on_commit(
            lambda: enqueue_import(batch=batch, files=files, outlet_name=outlet_name, fmt=fmt, user_id=user_id)
        )
    return event


def import_batch_run(
    *, batch: str, files: Iterable[tuple[str, bytes]], outlet_name: str | None, fmt: str, user_id: int | None
) -> dict:
    """Run a queued import; always ends with an ``import_finished`` event holding its summary (problems capped)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    summary = ImportSummary()
    error = ""
    try:
        summary = articles_import(files=files, outlet_name=outlet_name, fmt=fmt, user=user, batch=batch)
    except Exception as exc:  # never expected (articles_import reports problems); still, say it ended
        logger.exception("background import %s failed", batch)
        error = f"{type(exc).__name__}: {shorten(str(exc))}"
    kept = getattr(settings, "IMPORT_PROBLEMS_KEPT", 200)
    after = {
        "batch": batch,
        "imported": len(summary.imported),
        "duplicates": summary.duplicates,
        "requeued": len(summary.requeued),
        "removed_lines": summary.removed_lines,
        "outlets": sorted(summary.outlets),
        "problems": problem_dicts(summary.problems, kept),
        "problems_total": len(summary.problems),
        "error": error,
    }
    event_record(actor=user, article_id=None, object_type="import", object_id=None, action="import_finished",
                 after=after)  # fmt: skip
    return {k: v for k, v in after.items() if k != "problems"}
