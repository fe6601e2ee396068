"""Scoring the pre-pass against PolNeAR-format folders or the project's reviewed-article JSONL.

Span roles are scored separately (source, cue, content; each distinct gold span once) and as whole
attributions. Two matching rules:

- exact: the predicted span equals the gold span (a discontinuous gold span is compared as its hull);
- overlap (Gender Gap Tracker rule): a gold span counts as found when at least 30% of its characters
  are covered by one predicted span of the same role; a predicted span counts as correct when it finds
  some gold span that way.

A whole attribution matches when its cue matches and its source and content match (or are both absent).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .brat import GoldAttribution, GoldDoc, read_brat

ROLES = ("source", "cue", "content")
Span = tuple[int, int]


def _hull(frags) -> Span | None:
    frags = [tuple(f) for f in frags or () if f and f[0] < f[1]]
    return (min(f[0] for f in frags), max(f[1] for f in frags)) if frags else None


def _covered(gold: Span, pred: Span) -> float:
    inter = min(gold[1], pred[1]) - max(gold[0], pred[0])
    return max(0, inter) / max(1, gold[1] - gold[0])


def span_match(gold: Span | None, pred: Span | None, mode: str) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    if mode == "exact":
        return tuple(gold) == tuple(pred)
    return _covered(gold, pred) >= 0.3


@dataclass
class Counts:
    tp_p: int = 0  # predictions that are correct
    n_p: int = 0
    tp_r: int = 0  # gold items that were found
    n_g: int = 0

    def add(self, other: Counts) -> None:
        self.tp_p += other.tp_p
        self.n_p += other.n_p
        self.tp_r += other.tp_r
        self.n_g += other.n_g

    def prf(self) -> tuple[float, float, float]:
        p = self.tp_p / self.n_p if self.n_p else 0.0
        r = self.tp_r / self.n_g if self.n_g else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _match_sets(gold: list, pred: list, match) -> Counts:
    return Counts(
        tp_p=sum(1 for p in pred if any(match(g, p) for g in gold)),
        n_p=len(pred),
        tp_r=sum(1 for g in gold if any(match(g, p) for p in pred)),
        n_g=len(gold),
    )


def _attr_match(g: dict, p: dict, mode: str) -> bool:
    if g["cue"] is None and p["cue"] is None:
        if g["source"] is None:
            return False
    elif not span_match(g["cue"], p["cue"], mode):
        return False
    return span_match(g["source"], p["source"], mode) and span_match(g["content"], p["content"], mode)


@dataclass
class Scorer:
    counts: dict = field(
        default_factory=lambda: {(r, m): Counts() for r in (*ROLES, "attribution") for m in ("exact", "overlap")}
    )
    type_total: int = 0
    type_correct: int = 0
    fields: dict = field(default_factory=dict)  # anonymity field -> [correct, total]
    docs: int = 0

    def add(self, gold: list[dict], pred: list[dict]) -> None:
        """Score one article; each attribution is a dict with source/cue/content hull spans (or None)."""
        self.docs += 1
        for mode in ("exact", "overlap"):
            for role in ROLES:
                g_spans = sorted({tuple(a[role]) for a in gold if a[role] is not None})
                p_spans = sorted({tuple(a[role]) for a in pred if a[role] is not None})
                self.counts[(role, mode)].add(_match_sets(g_spans, p_spans, lambda g, p, m=mode: span_match(g, p, m)))
            self.counts[("attribution", mode)].add(_match_sets(gold, pred, lambda g, p, m=mode: _attr_match(g, p, m)))
        for g in gold:
            if not g.get("source_type"):
                continue
            hit = next((p for p in pred if _attr_match(g, p, "overlap")), None)
            if hit is None:
                continue
            self.type_total += 1
            self.type_correct += hit.get("source_type") == g["source_type"]
            if g["source_type"] == "anonymous" and hit.get("source_type") == "anonymous" and g.get("anonymity"):
                for key, value in g["anonymity"].items():
                    if key == "justification":
                        ok = (value is None) == (hit["anonymity"].get(key) is None)
                    else:
                        ok = str(hit["anonymity"].get(key, "")) == str(value)
                    stat = self.fields.setdefault(key, [0, 0])
                    stat[0] += ok
                    stat[1] += 1

    def report(self) -> dict:
        out = {"docs": self.docs}
        for (role, mode), c in self.counts.items():
            p, r, f = c.prf()
            out[f"{role}_{mode}"] = {
                "p": round(p, 4),
                "r": round(r, 4),
                "f1": round(f, 4),
                "gold": c.n_g,
                "pred": c.n_p,
            }
        if self.type_total:
            out["source_type_accuracy"] = round(self.type_correct / self.type_total, 4)
            out["source_type_scored"] = self.type_total
        for key, (ok, total) in self.fields.items():
            out[f"anonymity_{key}_accuracy"] = round(ok / total, 4) if total else None
        return out


def gold_from_brat(attrs: list[GoldAttribution]) -> list[dict]:
    return [{"source": _hull(a.source), "cue": _hull(a.cue), "content": _hull(a.content)} for a in attrs]


def pred_dicts(proposal) -> list[dict]:
    out = []
    for a in proposal.attributions:
        anon = None
        if a.anonymity is not None:
            anon = {
                "descriptor": a.anonymity.descriptor,
                "seniority": a.anonymity.seniority,
                "number": a.anonymity.number,
                "justification": a.anonymity.justification,
                "specificity": a.anonymity.specificity,
            }
        out.append(
            {
                "source": a.source,
                "cue": a.cue,
                "content": a.content,
                "source_type": a.source_type,
                "anonymity": anon,
                "via": a.via,
                "evidence": a.evidence,
            }
        )
    return out


def read_gold_jsonl(path: str | Path) -> list[tuple[str, str, list[dict]]]:
    """The project's JSONL of reviewed articles -> (doc id, body, gold attributions). Tolerant on purpose:
    spans as {"start","end"} or [start, end]; rejected attributions skipped; unknown keys ignored."""

    def span(value) -> Span | None:
        if not value:
            return None
        if isinstance(value, dict):
            s, e = value.get("start"), value.get("end")
        elif isinstance(value, (list, tuple)) and len(value) == 2 and not isinstance(value[0], (list, tuple)):
            s, e = value
        elif isinstance(value, (list, tuple)):
            return _hull([span(v) for v in value if span(v)])
        else:
            return None
        return (int(s), int(e)) if s is not None and e is not None and int(s) < int(e) else None

    docs = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if not line.strip():
                continue
            row = json.loads(line)
            body = row.get("body") or row.get("text") or ""
            attrs = []
            for a in row.get("attributions") or []:
                if (a.get("review_state") or a.get("state") or "") == "rejected":
                    continue
                anon = a.get("anonymity") or None
                if isinstance(anon, dict) and anon.get("justification") is not None:
                    anon = dict(anon, justification=span(anon["justification"]))
                attrs.append(
                    {
                        "source": span(a.get("source") or a.get("source_span")),
                        "cue": span(a.get("cue") or a.get("cue_span")),
                        "content": span(a.get("content") or a.get("content_span")),
                        "source_type": a.get("source_type", ""),
                        "anonymity": anon,
                    }
                )
            docs.append((str(row.get("id", row.get("article_id", n))), body, attrs))
    return docs


def evaluate(
    docs: Iterable[tuple],
    *,
    predictions_out: str | Path | None = None,
    model_name: str | None = None,
    outlets: Iterable[str] = (),
    batch_size: int = 16,
) -> dict:
    """Run the pre-pass over (name, text, gold[, own outlet]) items and score it; optionally write predictions."""
    from . import propose_many

    docs = list(docs)
    scorer = Scorer()
    out = open(predictions_out, "w", encoding="utf-8") if predictions_out else None  # noqa: SIM115
    t0 = time.perf_counter()
    words = 0
    try:
        proposals = propose_many(
            (d[1] for d in docs),
            outlets=tuple(outlets),
            own_outlets=[d[3] if len(d) > 3 else "" for d in docs],
            batch_size=batch_size,
            model_name=model_name,
        )
        for (name, text, gold, *_), proposal in zip(docs, proposals, strict=True):
            words += len(text.split())
            pred = pred_dicts(proposal)
            scorer.add(gold, pred)
            if out is not None:
                out.write(
                    json.dumps(
                        {
                            "doc": name,
                            "attributions": [
                                {
                                    "source": list(p["source"]) if p["source"] else None,
                                    "cue": list(p["cue"]) if p["cue"] else None,
                                    "content": [list(p["content"])] if p["content"] else [],
                                    "source_type": p["source_type"],
                                }
                                for p in pred
                            ],
                        }
                    )
                    + "\n"
                )
    finally:
        if out is not None:
            out.close()
    result = scorer.report()
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["words_per_second"] = round(words / max(1e-9, time.perf_counter() - t0))
    return result


def brat_docs(folder: str | Path, limit: int | None = None) -> list[tuple]:
    """(name, text, gold, outlet) of each article of a PolNeAR-format folder."""
    return [(d.name, d.text, gold_from_brat(d.attributions), d.outlet) for d in _brat(folder, limit)]


def agreement(folders: Iterable[str | Path]) -> dict:
    """Inter-annotator agreement with the same scorer: on every article that two annotators labelled,
    the second annotator's file (by name) scored against the first's. The ceiling for the pre-pass."""
    scorer = Scorer()
    for folder in folders:
        docs: dict[str, list[GoldDoc]] = {}
        for doc in read_brat(folder, all_annotators=True):
            docs.setdefault(doc.name, []).append(doc)
        for versions in docs.values():
            if len(versions) >= 2:
                scorer.add(gold_from_brat(versions[0].attributions), gold_from_brat(versions[1].attributions))
    return scorer.report()


def _brat(folder, limit) -> Iterable[GoldDoc]:
    return read_brat(folder, limit=limit)


def format_table(result: dict) -> str:
    lines = [f"{'':<12}{'exact P':>9}{'R':>7}{'F1':>7}   {'30% P':>7}{'R':>7}{'F1':>7}   gold/pred"]
    for role in (*ROLES, "attribution"):
        e, o = result[f"{role}_exact"], result[f"{role}_overlap"]
        lines.append(
            f"{role:<12}{e['p']:>9.3f}{e['r']:>7.3f}{e['f1']:>7.3f}   {o['p']:>7.3f}{o['r']:>7.3f}"
            f"{o['f1']:>7.3f}   {e['gold']}/{e['pred']}"
        )
    for key, value in result.items():
        if key.endswith("accuracy") or key in ("docs", "seconds", "words_per_second", "source_type_scored"):
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


def throughput(
    texts: list[str], *, base_model: str | None = None, model_name: str | None = None, batch_size: int = 32
) -> dict:
    """Words/s of bare ``nlp.pipe`` of the base pipeline vs the whole ``propose_many``."""
    import spacy

    from . import DEFAULT_SPACY_MODEL, _setting, propose_many

    words = sum(len(t.split()) for t in texts)
    base = spacy.load(base_model or _setting("SPACY_MODEL", DEFAULT_SPACY_MODEL))
    list(propose_many(texts[:5], model_name=model_name))  # load once, outside the clock
    t0 = time.perf_counter()
    for _ in base.pipe(texts, batch_size=batch_size):
        pass
    bare = words / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in propose_many(texts, batch_size=batch_size, model_name=model_name):
        pass
    full = words / (time.perf_counter() - t0)
    return {"words": words, "bare_wps": round(bare), "prepass_wps": round(full), "ratio": round(full / bare, 3)}
