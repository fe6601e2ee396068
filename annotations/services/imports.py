"""Importing articles: each one stored in its own transaction, duplicates skipped, problems reported."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from annotations.importing import ImportProblem, ParsedArticle, read_upload
from annotations.models import Article, ArticleCounts, Outlet

from .common import event_record


@dataclass
class ImportSummary:
    imported: list[int] = field(default_factory=list)
    duplicates: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    removed_lines: int = 0
    outlets: set[str] = field(default_factory=set)
    restored: list[int] = field(default_factory=list)  # came with their annotations: no pre-pass
    queued: list[int] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def lines(self) -> list[str]:
        out = [
            f"imported: {len(self.imported)}",
            f"duplicates skipped: {self.duplicates}",
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


def article_create(*, parsed: ParsedArticle, outlet: Outlet, user=None) -> Article | None:
    """Store one parsed article; None when the same content is already stored for the outlet."""
    digest = content_hash(parsed.body)
    if Article.objects.filter(outlet=outlet, content_hash=digest).exists():
        return None
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
                after={"source": parsed.source_name, "format": parsed.source_format, "outlet": outlet.name},
            )
    except IntegrityError:  # the same content, stored by a concurrent import
        return None
    return article


def articles_import(
    *,
    files: Iterable[tuple[str, bytes]],
    outlet_name: str | None = None,
    fmt: str = "auto",
    user=None,
    enqueue: bool = True,
    on_article: Callable[[], None] | None = None,
) -> ImportSummary:
    """Import every article of every file. A bad article is reported and skipped; the rest go on.

    With ``enqueue`` the new articles are queued for the pre-pass (a ``django.tasks`` task).
    """
    summary = ImportSummary()
    outlets: dict[str, Outlet] = {}
    for name, data in files:
        for item in read_upload(name, data, fmt=fmt, outlet=outlet_name):
            if on_article:
                on_article()
            if isinstance(item, ImportProblem):
                summary.problems.append(item)
                continue
            key = item.outlet.casefold()
            if key not in outlets:
                outlets[key] = outlet_get_or_create(name=item.outlet)
            if "sentences" in item.extra or "attributions" in item.extra:  # an export read back: no pre-pass
                from .roundtrip import article_import_annotated

                article = article_import_annotated(parsed=item, outlet=outlets[key], user=user)
                if isinstance(article, ImportProblem):
                    summary.problems.append(article)
                    continue
                if article is not None:
                    summary.restored.append(article.pk)
            else:
                article = article_create(parsed=item, outlet=outlets[key], user=user)
            if article is None:
                summary.duplicates += 1
                continue
            summary.imported.append(article.pk)
            summary.removed_lines += len(item.removed_lines)
            summary.outlets.add(outlets[key].name)
    restored = set(summary.restored)
    to_process = [pk for pk in summary.imported if pk not in restored]
    if enqueue and to_process:
        from annotations.tasks import enqueue_processing

        enqueue_processing(to_process)
        summary.queued = to_process
    return summary
