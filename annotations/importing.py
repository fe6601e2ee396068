"""Reading uploaded article files: parsing and cleaning only, no ORM.

``read_upload`` turns the bytes of one uploaded file into ``ParsedArticle`` items
and, for anything it cannot use, ``ImportProblem`` items naming the file, line
and field; it never raises for bad content and goes on with the next record.

Formats: ``txt`` (one article pasted from a web page), ``html`` (one page, main
text and metadata by trafilatura), ``jsonl`` (one JSON object per line) and
``csv`` (header row; one article per row, cells may hold newlines). Record fields
for jsonl/csv: ``text`` (required), ``title``, ``outlet``, ``url``, ``published``
(ISO date or datetime), ``byline``, ``id``; any other field is kept in ``extra``.

Limits (checked here, so that nothing reaches the database that it would refuse): an article's text may have
at most ``max_chars`` characters (``read_upload(max_chars=...)``, the ``MAX_ARTICLE_CHARS`` setting); no text
or field may hold a NUL character or a lone surrogate (PostgreSQL refuses both); a JSON record may nest at
most ``MAX_JSON_DEPTH`` levels and may not use ``NaN``/``Infinity``; an outlet name has at most
``OUTLET_NAME_MAX`` characters. Each is an ``ImportProblem`` naming the file, line and field.

Every body is cleaned by ``annotations.cleaning.clean_pasted_text``; ``removed_lines`` number the lines
of the text that was cleaned: the file (txt), the record's ``text`` (jsonl/csv), or the text trafilatura
extracted, paragraphs one blank line apart (html).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import PurePath

from .cleaning import CleanResult, clean_pasted_text, normalise_text, recognise_outlet
from .import_checks import (
    MAX_JSON_DEPTH,
    NO_OUTLET,
    ImportProblem,
    OutletUnknown,
    ParsedArticle,
    as_str,
    bad_character,
    check_length,
    check_outlet,
    check_value,
    clip,
    decode_upload,
    parse_date,
    shorten,
)

__all__ = [
    "FORMATS",
    "CleanResult",
    "ImportProblem",
    "OutletUnknown",
    "ParsedArticle",
    "clean_pasted_text",
    "detect_format",
    "read_upload",
]

FORMATS = ("auto", "txt", "html", "jsonl", "csv")
EXTENSIONS = {
    ".txt": "txt", ".text": "txt",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json-lines": "jsonl", ".jsonlines": "jsonl",
    ".csv": "csv",
}  # fmt: skip
RECORD_FIELDS = ("text", "title", "outlet", "url", "published", "byline", "id")
CSV_FIELD_LIMIT = 2**31 - 1


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


# --- format detection and decoding ------------------------------------------


def detect_format(name: str, data: bytes) -> str:
    """The format by file extension, else by sniffing the content; "txt" when nothing else fits."""
    suffix = PurePath(name or "").suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").decode("utf-8", errors="replace")
    low = head.lower()
    if low.startswith(("<!doctype html", "<html", "<?xml")) or any(t in low for t in ("<body", "<article", "<p>")):
        return "html"
    first_line = head.split("\n", 1)[0].strip()
    if first_line.startswith("{"):
        return "jsonl"
    header = [c.strip().strip('"').lower() for c in first_line.split(",")]
    if len(header) > 1 and "text" in header:
        return "csv"
    return "txt"


# --- one record of jsonl/csv --------------------------------------------------


def _record(
    rec: dict, *, name: str, line: int, raw: str, fmt: str, outlet: str | None, max_chars: int | None = None
) -> ParsedArticle | ImportProblem:
    """One jsonl/csv record as an article, or the first problem found in it (never raises)."""
    try:
        return _record_unchecked(rec, name=name, line=line, raw=raw, fmt=fmt, outlet=outlet, max_chars=max_chars)
    except Exception as exc:  # a record must never end the import: report it and go on with the next one
        return ImportProblem(name, line, None, f"could not be read ({type(exc).__name__}: {shorten(str(exc))})")


def _record_unchecked(
    rec: dict, *, name: str, line: int, raw: str, fmt: str, outlet: str | None, max_chars: int | None
) -> ParsedArticle | ImportProblem:
    found = check_value(rec)
    if found:
        return ImportProblem(name, line, found[0], found[1])
    text = rec.get("text")
    if text is not None and not isinstance(text, str):
        return ImportProblem(name, line, "text", f"must be a string, got {type(text).__name__}")
    if not text or not text.strip():
        return ImportProblem(name, line, "text", "missing or empty")
    too_long = check_length(text, max_chars)
    if too_long:
        return ImportProblem(name, line, "text", too_long)
    try:
        published = parse_date(rec.get("published"))
    except (ValueError, OverflowError):
        return ImportProblem(
            name, line, "published",
            f"not an ISO date or datetime: {clip(rec.get('published'))} "
            "(expected e.g. 2026-03-04 or 2026-03-04T09:30:00Z)",
        )  # fmt: skip
    title = as_str(rec.get("title"))
    cleaned = clean_pasted_text(text, take_title=not title)
    if not cleaned.body:
        return ImportProblem(name, line, "text", "no article text left after removing web cruft")
    outlet_name = as_str(rec.get("outlet")) or (outlet or "").strip() or cleaned.outlet
    if not outlet_name:
        return ImportProblem(
            name, line, "outlet", "missing: give an 'outlet' field in the record or pass --outlet NAME"
        )
    bad_outlet = check_outlet(outlet_name)
    if bad_outlet:
        return ImportProblem(name, line, "outlet", bad_outlet)
    url = as_str(rec.get("url"))
    if url and not url.lower().startswith(("http://", "https://")):
        return ImportProblem(name, line, "url", f"must be an http:// or https:// address, got {clip(url)}")
    return ParsedArticle(
        raw=raw,
        body=cleaned.body,
        title=title or cleaned.title,
        byline=as_str(rec.get("byline")) or cleaned.byline,
        url=url,
        published=published,
        outlet=outlet_name,
        external_id=as_str(rec.get("id")),
        removed_lines=cleaned.removed_lines,
        source_name=f"{name}:{line}",
        source_format=fmt,
        extra={k: v for k, v in rec.items() if k not in RECORD_FIELDS},
    )


def _jsonl_lines(name: str, data: bytes) -> list[str | ImportProblem]:
    """The lines of a JSON Lines file that is not valid UTF-8 as a whole: bad lines become problems."""
    out: list[str | ImportProblem] = []
    offset = 0
    for number, chunk in enumerate(data.split(b"\n"), start=1):
        try:
            out.append(chunk.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as exc:
            out.append(
                ImportProblem(
                    name,
                    number,
                    None,
                    f"not valid UTF-8: byte 0x{chunk[exc.start]:02x} at byte "
                    f"offset {offset + exc.start} of the file ({exc.reason})",
                )
            )
        offset += len(chunk) + 1
    return out


def _read_jsonl(
    name: str, text: str | list[str | ImportProblem], outlet: str | None, max_chars: int | None = None
) -> Iterator[ParsedArticle | ImportProblem]:
    seen = False
    for number, line in enumerate(text.split("\n") if isinstance(text, str) else text, start=1):
        if isinstance(line, ImportProblem):
            seen = True
            yield line
            continue
        line = line.rstrip("\r")
        if not line.strip():
            continue
        seen = True
        try:
            rec = json.loads(line, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            yield ImportProblem(name, number, None, f"malformed JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield ImportProblem(name, number, None, f"nested more than {MAX_JSON_DEPTH} levels deep")
            continue
        except ValueError as exc:  # NaN/Infinity, a number with too many digits
            yield ImportProblem(name, number, None, f"not valid JSON: {shorten(str(exc))}")
            continue
        if not isinstance(rec, dict):
            yield ImportProblem(name, number, None, f"expected a JSON object {{...}}, got {type(rec).__name__}")
            continue
        yield _record(rec, name=name, line=number, raw=line, fmt="jsonl", outlet=outlet, max_chars=max_chars)
    if not seen:
        yield ImportProblem(name, None, None, "the file has no records")


def _read_csv(
    name: str, text: str, outlet: str | None, max_chars: int | None = None
) -> Iterator[ParsedArticle | ImportProblem]:
    # csv's own limit (131,072 characters a cell) would end the file at the first long article; the length of
    # an article is checked against ``max_chars`` instead, as a problem of its row
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    lines = io.StringIO(text, newline="").readlines()
    header_line = lines[0] if lines else ""
    delimiter = max(",;\t", key=header_line.count)
    reader = csv.DictReader(lines, delimiter=delimiter, restkey="\x00extra")
    try:
        fieldnames = [f.strip() for f in (reader.fieldnames or [])]
        fieldnames = [f.lower() if f.lower() in RECORD_FIELDS else f for f in fieldnames]
    except csv.Error as exc:
        yield ImportProblem(name, 1, None, f"unreadable CSV header: {exc}")
        return
    reader.fieldnames = fieldnames
    if "text" not in fieldnames:
        columns = clip(", ".join(fieldnames), 200).strip("'\"")
        yield ImportProblem(name, 1, "text", f"the CSV header has no 'text' column (columns: {columns})")
        return
    start = reader.line_num + 1
    count = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield ImportProblem(name, start, None, f"malformed CSV: {exc}")
            return
        raw = "".join(lines[start - 1 : reader.line_num]).rstrip("\r\n")
        line, start = start, reader.line_num + 1
        count += 1
        if "\x00extra" in row:
            extra_cells = len(row.pop("\x00extra"))
            yield ImportProblem(name, line, None, f"the row has {extra_cells} more cell(s) than the header")
            continue
        yield _record(row, name=name, line=line, raw=raw, fmt="csv", outlet=outlet, max_chars=max_chars)
    if not count:
        yield ImportProblem(name, None, None, "the CSV file has a header but no rows")


# --- one article per file -----------------------------------------------------


def _read_txt(
    name: str, text: str, outlet: str | None, max_chars: int | None = None
) -> Iterator[ParsedArticle | ImportProblem]:
    too_long = check_length(text, max_chars)
    if too_long:
        yield ImportProblem(name, None, "text", too_long)
        return
    cleaned = clean_pasted_text(text)
    if not cleaned.body:
        yield ImportProblem(name, None, "text", "no article text left after removing web cruft")
        return
    outlet_name = (outlet or "").strip() or cleaned.outlet
    if not outlet_name:
        yield ImportProblem(name, None, "outlet", NO_OUTLET)
        return
    bad_outlet = check_outlet(outlet_name)
    if bad_outlet:
        yield ImportProblem(name, None, "outlet", bad_outlet)
        return
    yield ParsedArticle(
        raw=text,
        body=cleaned.body,
        title=cleaned.title,
        byline=cleaned.byline,
        published=cleaned.published,
        outlet=outlet_name,
        removed_lines=cleaned.removed_lines,
        source_name=name,
        source_format="txt",
    )


def _read_html(
    name: str, text: str, outlet: str | None, max_chars: int | None = None
) -> Iterator[ParsedArticle | ImportProblem]:
    import trafilatura  # heavy import, only when needed

    try:
        doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, include_tables=False)
    except Exception as exc:  # trafilatura/lxml raise many kinds of errors
        yield ImportProblem(name, None, None, f"could not parse the HTML: {exc}")
        return
    extracted = getattr(doc, "text", None) or ""
    if not extracted.strip():
        yield ImportProblem(name, None, "text", "no article text could be extracted from the HTML page")
        return
    too_long = check_length(extracted, max_chars)
    if too_long:
        yield ImportProblem(name, None, "text", too_long)
        return
    title = as_str(doc.title)
    paragraphs = [p.strip() for p in normalise_text(extracted).split("\n") if p.strip()]
    if title and paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # trafilatura repeats the <h1> headline as the first line
    # One blank line between paragraphs, as in pasted text; removed_lines number the lines of this text.
    cleaned = clean_pasted_text("\n\n".join(paragraphs), take_title=not title)
    if not cleaned.body:
        yield ImportProblem(name, None, "text", "no article text left after removing web cruft")
        return
    try:
        published = parse_date(doc.date)
    except (ValueError, OverflowError):
        published = None
    outlet_name = (outlet or "").strip() or as_str(doc.sitename) or cleaned.outlet
    if not outlet_name:
        yield ImportProblem(
            name, None, "outlet", "no outlet given and no site name found in the page; pass --outlet NAME"
        )
        return
    for field_name, value in (("outlet", outlet_name), ("title", title), ("byline", as_str(doc.author))):
        why = check_outlet(value) if field_name == "outlet" else bad_character(value)
        if why:
            yield ImportProblem(name, None, field_name, why)
            return
    yield ParsedArticle(
        raw=text,
        body=cleaned.body,
        title=title or cleaned.title,
        byline=as_str(doc.author) or cleaned.byline,
        url=as_str(doc.url),
        published=published or cleaned.published,
        outlet=outlet_name,
        removed_lines=cleaned.removed_lines,
        source_name=name,
        source_format="html",
    )


_READERS = {"txt": _read_txt, "html": _read_html, "jsonl": _read_jsonl, "csv": _read_csv}


def read_upload(
    name: str, data: bytes, *, fmt: str = "auto", outlet: str | None = None, max_chars: int | None = None
) -> Iterator[ParsedArticle | ImportProblem]:
    """Parse one uploaded file into articles and problems (never raises for bad content).

    ``outlet`` (the --outlet option) is used when a record has no ``outlet`` field; for txt/html it takes
    precedence over the outlet recognised in the text or page. ``max_chars``: the most characters one
    article's text may have (None: no limit).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    name = name or "upload"
    if fmt == "auto":
        fmt = detect_format(name, data)
    text = decode_upload(name, data)
    if isinstance(text, ImportProblem):
        if fmt == "jsonl" and text.message.startswith("not valid UTF-8"):
            yield from _read_jsonl(name, _jsonl_lines(name, data), outlet, max_chars)  # the other lines still import
        else:
            yield text
        return
    try:
        yield from _READERS[fmt](name, text, outlet, max_chars)
    except Exception as exc:  # a reader's own failure: the file's problem, never the end of the import
        yield ImportProblem(name, None, None, f"could not be read ({type(exc).__name__}: {shorten(str(exc))})")


def count_records(name: str, data: bytes, *, fmt: str = "auto") -> int:
    """About how many articles ``read_upload`` will find in the file, cheaply (no cleaning, no JSON parsing):
    the non-blank lines of a jsonl file, the rows of a csv file, one for txt/html."""
    if fmt == "auto":
        fmt = detect_format(name or "upload", data)
    if fmt == "jsonl":
        return sum(1 for line in data.split(b"\n") if line.strip())
    if fmt == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return max(0, data.count(b"\n"))
        try:
            return max(0, sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1)
        except csv.Error:
            return max(0, text.count("\n"))
    return 1


def outlet_from_text(text: str) -> str:
    """The outlet named by a line such as "Discover more from <Outlet>", or ""."""
    for line in text.splitlines():
        found = recognise_outlet(line)
        if found:
            return found
    return ""
