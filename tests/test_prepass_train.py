"""``train_prepass`` on a tiny brat folder written here (no PolNeAR text): it trains, saves a pipeline
that loads and runs, and does so reproducibly. No database."""

from pathlib import Path

import spacy

from annotations.prepass import components, train

SENTENCES = [
    ("Finance Minister Anna Berg", "said", "the budget would pass"),
    ("A senior official", "told", "reporters the talks had stalled"),
    ("The mayor", "announced", "the bridge would close in May"),
    ("Critics", "warned", "that the plan would cost more"),
]


def write_folder(root: Path, docs: int) -> Path:
    (root / "text").mkdir(parents=True)
    (root / "attributions").mkdir()
    for d in range(docs):
        text, ann, t, e = "", [], 1, 1
        for k in range(3):
            source, cue, content = SENTENCES[(d + k) % len(SENTENCES)]
            spans = {}
            for role, words in (("Source", source), ("Cue", cue), ("Content", content)):
                start = len(text)
                text += words + " "
                spans[role] = f"T{t}"
                ann.append(f"T{t}\t{role} {start} {start + len(words)}\t{words}")
                t += 1
            text = text.rstrip() + ". "
            roles = f"Source:{spans['Source']} Cue:{spans['Cue']} Content:{spans['Content']}"
            ann.append(f"E{e}\tAttribution:{spans['Cue']} {roles}")
            e += 1
        (root / "text" / f"doc{d}.txt").write_text(text.strip() + "\n", encoding="utf-8")
        (root / "attributions" / f"doc{d}_ann1.ann").write_text("\n".join(ann) + "\n", encoding="utf-8")
    return root


def test_training_saves_a_pipeline_that_loads_and_runs_reproducibly(tmp_path):
    train_dir = write_folder(tmp_path / "train", 8)
    dev_dir = write_folder(tmp_path / "dev", 2)
    outs = []
    for run in ("a", "b"):
        result = train.train(train_dir, dev_dir, tmp_path / run / "m", epochs=2, seed=3, report=lambda _msg: None)
        assert result["best_epoch"] in (0, 1) and len(result["history"]) == 2
        outs.append(tmp_path / run / "m")
    # seeded: the same weights twice
    assert (outs[0] / "attr_ner" / "model").read_bytes() == (outs[1] / "attr_ner" / "model").read_bytes()
    nlp = spacy.load(outs[0])  # components registered by the import above
    assert nlp.pipe_names == [
        "tok2vec", "tagger", "parser", "tag_attributes", "prepass_features", "attr_ner", "attr_stash", "ner"
    ]  # fmt: skip
    assert "attr_ner" in nlp.get_pipe("tok2vec").listener_map  # no second CNN over the text
    doc = nlp("The mayor said the bridge would close. Critics warned that the plan would cost more.")
    assert components.ATTR_SPANS_KEY in doc.spans
    assert all(span.label_ in train.LABELS for span in doc.spans[components.ATTR_SPANS_KEY])
    assert not any(ent.label_ in train.LABELS for ent in doc.ents)  # the stock ner's entities only
