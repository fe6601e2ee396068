"""What one imported article may hold, and how a problem with it is told (file, line, field).

No ORM: ``annotations.importing`` reads files with these checks, ``services.roundtrip`` restores records with them.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

OUTLET_NAME_MAX = 200  # Outlet.name's max_length
MAX_JSON_DEPTH = 32  # our own export nests 5 levels; a proposal a few more
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates: no database stores them in text
NO_OUTLET = (
    "no outlet given and none recognised in the text (no line like 'Discover more from <Outlet>'); pass --outlet NAME"
)


@dataclass
class ParsedArticle:
    raw: str
    body: str
    title: str = ""
    byline: str = ""
    url: str = ""
    published: datetime.date | None = None
    outlet: str = ""
    external_id: str = ""
    removed_lines: list[dict] = field(default_factory=list)
    source_name: str = ""
    source_format: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class ImportProblem:
    source: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = [self.source or "input"]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}"


class OutletUnknown(Exception):
    def __init__(self, source: str = "") -> None:
        prefix = f"{source}: " if source else ""
        super().__init__(prefix + NO_OUTLET)


def clip(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to about ``limit`` characters: a problem message never carries a megabyte of input."""
    text = repr(value) if not isinstance(value, str) or len(value) <= limit else repr(value[:limit]) + "…"
    return text if len(text) <= limit + 8 else text[:limit] + "…"


def shorten(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters (an exception's message inside a problem's)."""
    return text if len(text) <= limit else text[:limit] + "…"


def bad_character(value: str) -> str:
    """Why ``value`` cannot be stored ("" when it can): a NUL character or a lone surrogate, with its position."""
    m = _BAD_CHARS.search(value)
    if m is None:
        return ""
    what = "a NUL character (U+0000)" if m.group() == "\x00" else f"a lone surrogate (U+{ord(m.group()):04X})"
    return f"contains {what} at character {m.start()}; remove it and import again"


def check_value(value: object, path: str = "") -> tuple[str, str] | None:
    """The first part of a parsed JSON value that cannot be stored, as (field path, message); None when all can.

    Walks without recursion: nesting deeper than ``MAX_JSON_DEPTH``, a string (or key) with a NUL character or
    a lone surrogate.
    """
    stack: list[tuple[object, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            problem = bad_character(item)
            if problem:
                return where or "text", problem
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            return where or "record", f"nested more than {MAX_JSON_DEPTH} levels deep"
        if isinstance(item, dict):
            children = []
            for key, child in item.items():
                problem = bad_character(key)
                if problem:
                    return where or "record", f"a field name {problem.removeprefix('contains ')}"
                children.append((child, f"{where}.{key}" if where else key, depth + 1))
        else:
            children = [(child, f"{where}[{n}]", depth + 1) for n, child in enumerate(item)]
        stack.extend(reversed(children))
    return None


def check_length(text: str, max_chars: int | None) -> str:
    """Why ``text`` is too long for one article ("" when it is not)."""
    if max_chars is not None and len(text) > max_chars:
        return (
            f"{len(text):,} characters; an article may have at most {max_chars:,} (MAX_ARTICLE_CHARS). "
            "Split it or leave it out."
        )
    return ""


def check_outlet(name: str) -> str:
    """Why ``name`` cannot be an outlet's name ("" when it can)."""
    name = " ".join(name.split())
    if len(name) > OUTLET_NAME_MAX:
        return f"{len(name)} characters; an outlet name may have at most {OUTLET_NAME_MAX}: {clip(name, 40)}"
    return bad_character(name)


# --- decoding a file, reading a field ----------------------------------------------------------------


def decode_upload(name: str, data: bytes) -> str | ImportProblem:
    """The uploaded bytes as text, or the problem that stops the whole file (empty, binary, UTF-16, not UTF-8)."""
    if not data or not data.strip():
        return ImportProblem(name, None, None, "the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ImportProblem(name, None, None, "the file is UTF-16 encoded; save it as UTF-8 and upload it again")
    if b"\x00" in data:
        return ImportProblem(
            name, None, None, f"looks like a binary file (NUL byte at offset {data.index(0)}), not text"
        )
    sample = data[:8192]
    controls = sum(1 for b in sample if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    if controls > max(3, len(sample) // 20):
        return ImportProblem(name, None, None, f"looks like a binary file ({controls} control bytes in the first "
                                               f"{len(sample)}), not text")  # fmt: skip
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return ImportProblem(
            name, line, None,
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start} ({exc.reason}); "
            "save the file as UTF-8",
        )  # fmt: skip
    if not text.strip():
        return ImportProblem(name, None, None, "the file has no text (only whitespace)")
    return text


def parse_date(value: object) -> datetime.date | None:
    """None for an empty value; raises ValueError for anything that is not an ISO date or datetime."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError
    s = value.strip()
    try:
        return datetime.date.fromisoformat(s)
    except ValueError:
        return datetime.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00")).date()


def as_str(value: object) -> str:
    """A record's field as stripped text ("" for null; numbers as written)."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)
