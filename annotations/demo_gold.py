"""Gold annotations of the demo articles: reading them and resolving their texts to offsets (pure, no ORM).

A gold file (``annotations/demo/gold/<name>.json``) holds a standards editor's answer for one demo article,
written by hand in the vocabulary of ``../shared/taxonomy.md``. Spans are named by their text, not by
offsets, so the files stay readable and survive small edits of the article::

    {
      "article": "04_ferry_contract.txt",          # the demo file, relative to annotations/demo/
      "id": "md-2026-0502",                        # jsonl/csv rows only: the row's ``id``
      "attributions": [                            # in reading order of their cues
        {
          "key": "okafor",                         # optional: a name for ``speaker_ref``
          "source": "a ministry source",           # text, or {"text": ..., "occurrence": n}
          "cue": "told",
          "content": "“The decision was made before the bids were even opened,”",
          "occurrence": 1,                         # optional: the n-th occurrence of the cue in the body
          "source_type": "anonymous",
          "quote_kind": "direct",                  # required when there is a content
          "via": "Coastline Post",                 # optional
          "speaker_ref": "okafor",                 # optional: the key of an earlier attribution
          "anonymity": {                           # anonymous sources only, and required for them
            "descriptor": "ministry", "seniority": "none", "number": "one",
            "justification": "who asked not to be named because …" or null,
            "specificity": "affiliated"
          }
        }
      ],
      "sentences": [{"text": "The contract is due to start in January.", "label": "unsourced_claim"}]
    }

Resolving a text against the article's clean body:

- the **cue** is its first occurrence after the previous attribution's cue (at or after the end of it),
  or, with ``"occurrence": n``, its n-th occurrence counted from the start of the body;
- the **source**, **content** and **justification** are the occurrence nearest to the cue (the earlier one
  on a tie), or, given as ``{"text": ..., "occurrence": n}``, the n-th from the start of the body;
- an attribution without a cue is anchored on its source, found like a cue.

A text that is not found fails loudly with the file, the attribution's index and the field.

**Sentences** not listed are ``sourced``. A listed text labels the stored sentence that holds its first
character; when the sentence splitter merged two listed sentences, the most claim-like label wins
(``unsourced_claim``, then ``sourced``, ``no_claim``, ``boilerplate``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

DEMO_DIR = Path(__file__).resolve().parent / "demo"
GOLD_DIR = DEMO_DIR / "gold"

# The vocabularies of taxonomy.md (the same values as the TextChoices of models.py; a test keeps them equal).
SOURCE_TYPES = ("named_person", "named_organization", "anonymous", "document", "media", "unspecified")
QUOTE_KINDS = ("direct", "indirect", "mixed")
SENIORITIES = ("senior", "none")
SPECIFICITIES = ("bare", "affiliated", "role")
SENTENCE_LABELS = ("sourced", "unsourced_claim", "no_claim", "boilerplate")
DEFAULT_LABEL = "sourced"
# which label a sentence takes when several listed sentences fall in it (the first wins)
LABEL_PRECEDENCE = ("unsourced_claim", "sourced", "no_claim", "boilerplate")

ATTRIBUTION_KEYS = {
    "key",
    "source",
    "cue",
    "content",
    "occurrence",
    "source_type",
    "quote_kind",
    "via",
    "speaker_ref",
    "anonymity",
    "note",
}
ANONYMITY_KEYS = {"descriptor", "seniority", "number", "justification", "specificity"}
FILE_KEYS = {"article", "id", "note", "attributions", "sentences"}
SENTENCE_KEYS = {"text", "label", "occurrence"}
_NUMBER = re.compile(r"^[1-9][0-9]*$")


class GoldError(ValueError):
    """A gold file that does not parse, or names a text the article's body does not hold."""


@dataclass
class Gold:
    """A gold file resolved against one article body."""

    name: str
    article: str
    external_id: str
    attributions: list[dict[str, Any]] = field(default_factory=list)
    sentences: list[dict[str, Any]] = field(default_factory=list)


# --- finding texts ---------------------------------------------------------------------------


def _occurrences(body: str, text: str) -> list[int]:
    found, i = [], body.find(text)
    while i != -1:
        found.append(i)
        i = body.find(text, i + 1)
    return found


def _nth(body: str, text: str, n: int, where: str) -> tuple[int, int]:
    starts = _occurrences(body, text)
    if not 1 <= n <= len(starts):
        raise GoldError(f"{where}: occurrence {n} of {text!r} asked for, the body holds {len(starts)}")
    return starts[n - 1], starts[n - 1] + len(text)


def _spec(value: Any, where: str) -> tuple[str, int | None] | None:
    """A span given as text or {"text", "occurrence"}: (text, occurrence or None); None when absent."""
    if value is None:
        return None
    if isinstance(value, str):
        text, occurrence = value, None
    elif isinstance(value, Mapping) and set(value) <= {"text", "occurrence"} and isinstance(value.get("text"), str):
        text, occurrence = value["text"], value.get("occurrence")
    else:
        raise GoldError(f"{where}: expected a text or {{'text': ..., 'occurrence': n}}, got {value!r}")
    if not text:
        raise GoldError(f"{where}: empty text")
    if occurrence is not None and (not isinstance(occurrence, int) or isinstance(occurrence, bool) or occurrence < 1):
        raise GoldError(f"{where}: occurrence must be a whole number from 1, got {occurrence!r}")
    return text, occurrence


def _anchor(body: str, spec: tuple[str, int | None], after: int, where: str) -> tuple[int, int]:
    text, occurrence = spec
    if occurrence is not None:
        return _nth(body, text, occurrence, where)
    i = body.find(text, after)
    if i == -1:
        raise GoldError(f"{where}: {text!r} not found in the body after offset {after} (the previous cue)")
    return i, i + len(text)


def _near(body: str, spec: tuple[str, int | None], anchor: tuple[int, int], where: str) -> tuple[int, int]:
    text, occurrence = spec
    if occurrence is not None:
        return _nth(body, text, occurrence, where)
    starts = _occurrences(body, text)
    if not starts:
        raise GoldError(f"{where}: {text!r} not found in the body")

    def distance(start: int) -> int:
        return max(0, anchor[0] - (start + len(text)), start - anchor[1])

    best = min(starts, key=lambda s: (distance(s), s))
    return best, best + len(text)


# --- validation --------------------------------------------------------------------------------


def _choice(value: Any, allowed: Sequence[str], where: str) -> str:
    if value not in allowed:
        raise GoldError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _unknown(data: Mapping, allowed: set[str], where: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise GoldError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")


def _number(value: Any, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return str(value)
    if value in ("one", "several") or (isinstance(value, str) and _NUMBER.match(value)):
        return value
    raise GoldError(f'{where}: {value!r} is not "one", "several" or a whole number')


def _attribution(body: str, item: Any, index: int, after: int, keys: dict[str, int], name: str) -> dict[str, Any]:
    where = f"{name}, attribution {index}"
    if not isinstance(item, Mapping):
        raise GoldError(f"{where}: expected an object, got {type(item).__name__}")
    _unknown(item, ATTRIBUTION_KEYS, where)
    source_type = _choice(item.get("source_type"), SOURCE_TYPES, f"{where}, source_type")
    source = _spec(item.get("source"), f"{where}, source")
    cue = _spec(item.get("cue"), f"{where}, cue")
    content = _spec(item.get("content"), f"{where}, content")
    occurrence = item.get("occurrence")
    if source is None and cue is None:
        raise GoldError(f"{where}: an attribution needs a source or a cue")
    anchor_field, anchor_spec = ("cue", cue) if cue is not None else ("source", source)
    if occurrence is not None:
        anchor_spec = _spec({"text": anchor_spec[0], "occurrence": occurrence}, f"{where}, occurrence")
    anchor = _anchor(body, anchor_spec, after, f"{where}, {anchor_field}")
    spans: dict[str, tuple[int, int] | None] = {"source": None, "cue": None, "content": None}
    spans[anchor_field] = anchor
    for role, spec in (("source", source), ("content", content)):
        if spec is not None and role != anchor_field:
            spans[role] = _near(body, spec, anchor, f"{where}, {role}")
    quote_kind = item.get("quote_kind") or ""
    if content is not None or quote_kind:
        _choice(quote_kind, QUOTE_KINDS, f"{where}, quote_kind")
    via = item.get("via") or ""
    if not isinstance(via, str):
        raise GoldError(f"{where}, via: expected an outlet name, got {via!r}")
    anonymity = item.get("anonymity")
    anon = {
        "anon_descriptor": "",
        "anon_seniority": "",
        "anon_number": "",
        "anon_justification_start": None,
        "anon_justification_end": None,
        "anon_specificity": "",
    }
    justification_text = ""
    if source_type == "anonymous":
        if not isinstance(anonymity, Mapping):
            raise GoldError(f"{where}, anonymity: required for an anonymous source")
        _unknown(anonymity, ANONYMITY_KEYS, f"{where}, anonymity")
        missing = ANONYMITY_KEYS - set(anonymity)
        if missing:
            raise GoldError(f"{where}, anonymity: missing {', '.join(sorted(missing))}")
        descriptor = anonymity["descriptor"]
        if not isinstance(descriptor, str):
            raise GoldError(f"{where}, anonymity.descriptor: expected text, got {descriptor!r}")
        anon["anon_descriptor"] = descriptor
        anon["anon_seniority"] = _choice(anonymity["seniority"], SENIORITIES, f"{where}, anonymity.seniority")
        anon["anon_number"] = _number(anonymity["number"], f"{where}, anonymity.number")
        anon["anon_specificity"] = _choice(anonymity["specificity"], SPECIFICITIES, f"{where}, anonymity.specificity")
        justification = _spec(anonymity["justification"], f"{where}, anonymity.justification")
        if justification is not None:
            start, end = _near(body, justification, anchor, f"{where}, anonymity.justification")
            anon["anon_justification_start"], anon["anon_justification_end"] = start, end
            justification_text = body[start:end]
    elif anonymity is not None:
        raise GoldError(f"{where}, anonymity: only for anonymous sources (source_type is {source_type})")
    speaker_ref = item.get("speaker_ref")
    if speaker_ref is not None and speaker_ref not in keys:
        raise GoldError(f"{where}, speaker_ref: {speaker_ref!r} is not the key of an earlier attribution")
    key = item.get("key")
    if key is not None and (not isinstance(key, str) or key in keys):
        raise GoldError(f"{where}, key: {key!r} must be text, unique in the file")

    def pair(role: str) -> tuple[int | None, int | None]:
        span = spans[role]
        return (None, None) if span is None else span

    return {
        "index": index,
        "key": key,
        "source_type": source_type,
        "source_start": pair("source")[0],
        "source_end": pair("source")[1],
        "cue_start": pair("cue")[0],
        "cue_end": pair("cue")[1],
        "content_start": pair("content")[0],
        "content_end": pair("content")[1],
        "quote_kind": quote_kind,
        "via": via,
        **anon,
        "speaker_ref": None if speaker_ref is None else keys[speaker_ref],
        # the texts, for reading and for messages
        "source": "" if spans["source"] is None else body[slice(*spans["source"])],
        "cue": "" if spans["cue"] is None else body[slice(*spans["cue"])],
        "content": "" if spans["content"] is None else body[slice(*spans["content"])],
        "justification": justification_text,
    }


def _sentence(body: str, item: Any, index: int, name: str) -> dict[str, Any]:
    where = f"{name}, sentence {index}"
    if not isinstance(item, Mapping):
        raise GoldError(f"{where}: expected an object, got {type(item).__name__}")
    _unknown(item, SENTENCE_KEYS, where)
    label = _choice(item.get("label"), SENTENCE_LABELS, f"{where}, label")
    spec = _spec({"text": item.get("text"), "occurrence": item.get("occurrence") or 1}, f"{where}, text")
    start, end = _nth(body, spec[0], spec[1], f"{where}, text")
    return {"start": start, "end": end, "label": label, "text": body[start:end]}


# --- files ---------------------------------------------------------------------------------------


def resolve_gold(data: Any, body: str, *, name: str = "gold") -> Gold:
    """Check a gold file's content and resolve every text in it against ``body``."""
    if not isinstance(data, Mapping):
        raise GoldError(f"{name}: expected a JSON object")
    _unknown(data, FILE_KEYS, name)
    article = data.get("article")
    if not isinstance(article, str) or not article:
        raise GoldError(f"{name}, article: the demo file it belongs to is required")
    items = data.get("attributions")
    if not isinstance(items, list):
        raise GoldError(f"{name}, attributions: expected a list")
    gold = Gold(name=name, article=article, external_id=str(data.get("id") or ""))
    keys: dict[str, int] = {}
    after = 0
    for index, item in enumerate(items):
        resolved = _attribution(body, item, index, after, keys, name)
        gold.attributions.append(resolved)
        if resolved["key"] is not None:
            keys[resolved["key"]] = index
        after = resolved["cue_end"] if resolved["cue_end"] is not None else resolved["source_end"]
    sentences = data.get("sentences", [])
    if not isinstance(sentences, list):
        raise GoldError(f"{name}, sentences: expected a list")
    gold.sentences = [_sentence(body, item, index, name) for index, item in enumerate(sentences)]
    return gold


def read_gold(path: str | Path, body: str) -> Gold:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GoldError(f"{path.name}: cannot be read: {error}") from error
    return resolve_gold(data, body, name=path.name)


def load_gold(path: str | Path, body: str) -> list[dict[str, Any]]:
    """The gold attributions of a file, with character offsets into ``body`` (the model's field names:
    ``source_type``, ``source_start`` … ``anon_specificity``; ``speaker_ref`` is the index of an earlier
    item of this list; ``source``/``cue``/``content``/``justification`` are the texts)."""
    return read_gold(path, body).attributions


def load_gold_sentences(path: str | Path, body: str) -> list[dict[str, Any]]:
    """The sentence labels of a file: ``start``/``end`` of the listed text, ``label``."""
    return read_gold(path, body).sentences


def sentence_labels(gold_sentences: Iterable[Mapping[str, Any]], bounds: Sequence[tuple[int, int]]) -> list[str]:
    """The gold label of each stored sentence (``bounds``: their ``(start, end)`` in order)."""
    labels: list[str | None] = [None] * len(bounds)
    rank = {label: i for i, label in enumerate(LABEL_PRECEDENCE)}
    for item in gold_sentences:
        for i, (start, end) in enumerate(bounds):
            if start <= item["start"] < end:
                if labels[i] is None or rank[item["label"]] < rank[labels[i]]:
                    labels[i] = item["label"]
                break
    return [label or DEFAULT_LABEL for label in labels]


def gold_files(directory: Path = GOLD_DIR) -> list[Path]:
    return sorted(directory.glob("*.json"))


def gold_path(*, source_name: str, external_id: str = "", directory: Path = GOLD_DIR) -> Path | None:
    """The gold file of a demo article, if it has one: ``<id>.json`` for a jsonl/csv row with an id,
    ``<file stem>.json`` for a file (``source_name`` as ``load_demo`` stores it: "extra/page.html")."""
    file = source_name.rsplit(":", 1)[0] if re.search(r":\d+$", source_name) else source_name
    if file != source_name and not external_id:
        return None  # a row without an id: no gold
    stem = external_id if file != source_name else PurePosixPath(file).stem
    if not stem or "/" in stem or stem.startswith("."):
        return None
    path = directory / f"{stem}.json"
    if not path.is_file():
        return None
    try:
        declared = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GoldError(f"{path.name}: cannot be read: {error}") from error
    if not isinstance(declared, Mapping) or declared.get("article") != file:
        return None  # a gold file of another demo article that happens to share the name
    if file != source_name and str(declared.get("id") or "") != external_id:
        return None
    return path
