"""Reader for PolNeAR-style brat standoff folders (``text/*.txt`` + ``attributions/*.ann``).

No corpus text is ever stored in the repository: everything is read at run time
from a folder given by the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

Span = tuple[int, int]


@dataclass
class GoldAttribution:
    source: list[Span] = field(default_factory=list)  # fragments
    cue: list[Span] = field(default_factory=list)
    content: list[Span] = field(default_factory=list)
    source_type: str = ""
    anonymity: dict | None = None


# PolNeAR names each article "<publisher>_<date>_<slug>": the outlet that published it, which the pre-pass is
# told (as the desk tells it the article's outlet): "told Politico" in a Politico article is first-hand
PUBLISHERS = {
    "breitbart": "Breitbart News",
    "huff-post": "The Huffington Post",
    "nyt": "The New York Times",
    "politico": "Politico",
    "usa-today": "USA Today",
    "wash-post": "The Washington Post",
    "west-journal": "Western Journal",
}


@dataclass
class GoldDoc:
    name: str
    text: str
    attributions: list[GoldAttribution]

    @property
    def outlet(self) -> str:
        return PUBLISHERS.get(self.name.split("_", 1)[0], "")


def _parse_fragments(offsets: str) -> list[Span]:
    spans: list[Span] = []
    for frag in offsets.split(";"):
        parts = frag.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            start, end = int(parts[0]), int(parts[1])
            if start < end:
                spans.append((start, end))
    return spans


def parse_ann(ann: str) -> list[GoldAttribution]:
    """Attributions of one .ann file (E lines), spans as lists of fragments."""
    spans: dict[str, tuple[str, list[Span]]] = {}
    events: list[list[tuple[str, str]]] = []
    for line in ann.splitlines():
        if line.startswith("T") and "\t" in line:
            cols = line.split("\t")
            if len(cols) < 2 or " " not in cols[1]:
                continue
            kind, offsets = cols[1].split(" ", 1)
            spans[cols[0]] = (kind, _parse_fragments(offsets))
        elif line.startswith("E") and "\t" in line:
            args = []
            for arg in line.split("\t", 1)[1].split():
                if ":" in arg:
                    role, ref = arg.split(":", 1)
                    args.append((role, ref))
            events.append(args)
    result: list[GoldAttribution] = []
    for args in events:
        attr = GoldAttribution()
        for role, ref in args:
            if ref not in spans:
                continue
            frags = spans[ref][1]
            if role.startswith("Source"):
                attr.source.extend(frags)
            elif role.startswith("Cue"):
                attr.cue.extend(frags)
            elif role.startswith("Content"):
                attr.content.extend(frags)
        if attr.source or attr.cue or attr.content:
            for frags in (attr.source, attr.cue, attr.content):
                frags.sort()
            result.append(attr)
    return result


def read_brat(folder: str | Path, limit: int | None = None, *, all_annotators: bool = False) -> Iterator[GoldDoc]:
    """Documents of a PolNeAR-format folder, sorted by name; one annotator file per article (first by name),
    or with ``all_annotators`` one document per annotator file (more training data, same texts)."""
    folder = Path(folder)
    text_dir = folder / "text"
    ann_dir = folder / "attributions"
    if not text_dir.is_dir():
        raise FileNotFoundError(f"{text_dir} is not a folder")
    for count, txt in enumerate(sorted(text_dir.glob("*.txt")), start=1):
        anns = sorted(ann_dir.glob(f"{txt.stem}_*.ann")) if ann_dir.is_dir() else []
        anns = [a for a in anns if a.stem.rsplit("_", 1)[0] == txt.stem]
        # newline="" keeps offsets identical to the file's characters
        with open(txt, encoding="utf-8", newline="") as fh:
            text = fh.read()
        for ann in (anns if all_annotators else anns[:1]) or [None]:
            attributions = parse_ann(ann.read_text(encoding="utf-8")) if ann is not None else []
            yield GoldDoc(txt.stem, text, attributions)
        if limit is not None and count >= limit:
            return
