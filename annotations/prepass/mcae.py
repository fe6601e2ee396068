"""Typed-source scoring on MCAE-format folders (sourced statements with the type of their source).

A folder holds ``gold.jsonl``: one article per line with ``doc``, ``text`` and ``sentences``; each
sentence row has ``start``/``end`` (null when not aligned), ``statement_spans`` and ``source_type``
(one of taxonomy.md's types, or ``unnamed_group``). No corpus text is stored in the repository: the
folder is read at run time.

The measure (the dataset's own):

- found: a statement is found when a proposed attribution's cue or content overlaps one of its spans;
- type right: of the found statements, those where one of the overlapping proposals carries the gold
  type (``unnamed_group`` takes ``anonymous`` or ``unspecified``);
- per type, precision and recall of the statement's proposed type, and the confusion table. The proposed
  type of a found statement is the gold type when one overlapping proposal carries it, else the type of
  the proposal that overlaps it most. Precision is a floor: the annotators did not mark every statement.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

Span = tuple[int, int]
TYPES = ("named_person", "named_organization", "anonymous", "document", "media", "unspecified")
GOLD_TYPES = (*TYPES, "unnamed_group")
# gold labels that are right for a proposal type
ACCEPT = {t: {t} for t in TYPES} | {"unnamed_group": {"anonymous", "unspecified"}}
NOT_FOUND = "(not found)"


@dataclass
class Statement:
    spans: list[Span]
    source_type: str
    orig: str = ""  # the dataset's own label ("Anonymous Source", "Unnamed Person", …)


@dataclass
class McaeDoc:
    name: str
    text: str
    statements: list[Statement]
    publisher: str = ""


def read_mcae(folder: str | Path, limit: int | None = None) -> list[McaeDoc]:
    """The articles of ``folder/gold.jsonl`` (or of the file given); errors name the file, line and field."""
    path = Path(folder)
    if path.is_dir():
        path = path / "gold.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (an MCAE folder holds gold.jsonl)")
    docs: list[McaeDoc] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}, line {n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise ValueError(f"{where}: expected an object")
            text = row.get("text")
            if not isinstance(text, str):
                raise ValueError(f"{where}, field 'text': missing or not a string")
            rows = row.get("sentences")
            if not isinstance(rows, list):
                raise ValueError(f"{where}, field 'sentences': missing or not a list")
            statements = []
            for k, s in enumerate(rows):
                stype = s.get("source_type") if isinstance(s, dict) else None
                if stype not in GOLD_TYPES:
                    raise ValueError(f"{where}, field 'sentences[{k}].source_type': {stype!r} is not a known type")
                spans = []
                for span in s.get("statement_spans") or (
                    [[s["start"], s["end"]]] if s.get("start") is not None else []
                ):
                    if (
                        not isinstance(span, (list, tuple))
                        or len(span) != 2
                        or not all(isinstance(x, int) for x in span)
                        or not 0 <= span[0] < span[1] <= len(text)
                    ):
                        raise ValueError(f"{where}, field 'sentences[{k}].statement_spans': bad span {span!r}")
                    spans.append((span[0], span[1]))
                if spans:  # rows the dataset could not align to the text are left out
                    statements.append(Statement(spans, stype, str(s.get("source_type_orig") or "")))
            meta = row.get("meta") or {}
            docs.append(McaeDoc(str(row.get("doc", n)), text, statements, str(meta.get("publisher") or "")))
            if limit is not None and len(docs) >= limit:
                break
    return docs


def _overlaps(a: Span | None, b: Span) -> int:
    if a is None:
        return 0
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


@dataclass
class TypeScorer:
    statements: int = 0
    found: int = 0
    right: int = 0
    anon_total: int = 0  # the dataset's Anonymous Source and Unnamed Person rows
    anon_typed: int = 0
    confusion: Counter = field(default_factory=Counter)  # (gold, proposed or NOT_FOUND) -> count
    stray: Counter = field(default_factory=Counter)  # proposals overlapping no statement, by type
    docs: int = 0

    def add(self, statements: list[Statement], proposals: list[dict]) -> list[dict]:
        """Score one article; ``proposals`` are dicts with ``cue``, ``content`` (spans) and ``source_type``.
        Returns one row per statement (gold, proposed, found) for error analysis."""
        self.docs += 1
        used = [False] * len(proposals)
        rows = []
        for st in statements:
            hits = []
            for i, p in enumerate(proposals):
                size = sum(_overlaps(p.get("cue"), s) + _overlaps(p.get("content"), s) for s in st.spans)
                if size:
                    hits.append((size, i))
                    used[i] = True
            self.statements += 1
            accept = ACCEPT[st.source_type]
            anon_row = st.source_type == "anonymous"
            self.anon_total += anon_row
            if not hits:
                self.confusion[(st.source_type, NOT_FOUND)] += 1
                rows.append({"gold": st.source_type, "proposed": NOT_FOUND, "spans": st.spans})
                continue
            self.found += 1
            types = [proposals[i]["source_type"] for _, i in hits]
            right = next((t for t in types if t in accept), None)
            proposed = right or proposals[max(hits)[1]]["source_type"]
            self.right += right is not None
            self.anon_typed += anon_row and right is not None
            self.confusion[(st.source_type, proposed)] += 1
            rows.append({"gold": st.source_type, "proposed": proposed, "spans": st.spans, "hits": [i for _, i in hits]})
        for i, p in enumerate(proposals):
            if not used[i]:
                self.stray[p["source_type"]] += 1
        return rows

    def report(self) -> dict:
        per_type = {}
        for t in TYPES:
            gold_t = [g for g in GOLD_TYPES if t in ACCEPT[g]]
            # recall: statements whose gold type this type answers, typed so (not found counts as missed)
            gold_n = sum(n for (g, _), n in self.confusion.items() if g == t)
            gold_ok = self.confusion[(t, t)]
            # precision: statements proposed as this type whose gold type accepts it
            pred_n = sum(n for (_, p), n in self.confusion.items() if p == t)
            pred_ok = sum(n for (g, p), n in self.confusion.items() if p == t and g in gold_t)
            per_type[t] = {
                "precision": round(pred_ok / pred_n, 4) if pred_n else None,
                "recall": round(gold_ok / gold_n, 4) if gold_n else None,
                "gold": gold_n,
                "proposed": pred_n,
            }
        group_n = sum(n for (g, _), n in self.confusion.items() if g == "unnamed_group")
        group_ok = sum(n for (g, p), n in self.confusion.items() if g == "unnamed_group" and p in ACCEPT[g])
        per_type["unnamed_group"] = {"recall": round(group_ok / group_n, 4) if group_n else None, "gold": group_n}
        return {
            "docs": self.docs,
            "statements": self.statements,
            "found": self.found,
            "found_share": round(self.found / self.statements, 4) if self.statements else 0.0,
            "type_right": self.right,
            "type_accuracy": round(self.right / self.found, 4) if self.found else 0.0,
            "anonymous_rows": self.anon_total,
            "anonymous_typed": self.anon_typed,
            "anonymous_recall": round(self.anon_typed / self.anon_total, 4) if self.anon_total else None,
            "per_type": per_type,
            "confusion": {f"{g} -> {p}": n for (g, p), n in sorted(self.confusion.items())},
            "proposals_outside_statements": dict(sorted(self.stray.items())),
        }


def evaluate_mcae(
    docs: Iterable[McaeDoc], *, model_name: str | None = None, outlets: Iterable[str] = (), details: list | None = None
) -> dict:
    """Run the pre-pass over MCAE articles and score the types of what it finds."""
    from . import propose_many
    from .evaluate import pred_dicts

    docs = list(docs)
    scorer = TypeScorer()
    names = {d.publisher for d in docs if d.publisher}
    proposals = propose_many(
        (d.text for d in docs),
        outlets=(*outlets, *sorted(names)),
        own_outlets=[d.publisher for d in docs],
        model_name=model_name,
    )
    for doc, proposal in zip(docs, proposals, strict=True):
        preds = pred_dicts(proposal)
        rows = scorer.add(doc.statements, preds)
        if details is not None:
            details.append({"doc": doc.name, "rows": rows, "proposals": preds})
    return scorer.report()


def format_report(result: dict) -> str:
    lines = [
        f"statements {result['statements']} in {result['docs']} articles",
        f"found: {result['found']} ({result['found_share']:.3f})",
        f"type right of found: {result['type_right']} ({result['type_accuracy']:.3f})",
        f"anonymous rows (Anonymous Source, Unnamed Person) typed anonymous: {result['anonymous_typed']} of "
        f"{result['anonymous_rows']} ({result['anonymous_recall'] or 0:.3f})",
        "",
        f"{'type':<20}{'precision':>10}{'recall':>8}{'gold':>6}{'proposed':>10}",
    ]
    for t, row in result["per_type"].items():
        p = "-" if row.get("precision") is None else f"{row['precision']:.3f}"
        r = "-" if row.get("recall") is None else f"{row['recall']:.3f}"
        lines.append(f"{t:<20}{p:>10}{r:>8}{row['gold']:>6}{row.get('proposed', ''):>10}")
    cols = [*TYPES, NOT_FOUND]
    short = dict(zip(cols, ("person", "org", "anon", "document", "media", "unspec", "missed"), strict=True))
    lines += ["", "confusion (rows gold, columns proposed)", f"{'':<20}" + "".join(f"{short[c]:>9}" for c in cols)]
    for g in GOLD_TYPES:
        counts = [result["confusion"].get(f"{g} -> {c}", 0) for c in cols]
        if sum(counts):
            lines.append(f"{g:<20}" + "".join(f"{n:>9}" for n in counts))
    lines.append(f"proposals overlapping no statement: {result['proposals_outside_statements']}")
    return "\n".join(lines)
