"""Training data from reviewed articles, without a database: the export's JSONL read back, rejected proposals as
negatives, the held-out slice, a warm-started run of a few steps scored beside the old model, and ``get_nlp``
following the promoted version."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import spacy

from annotations import prepass
from annotations.prepass import learn, train
from tests.test_prepass_train import write_folder

BODY = (
    "Finance Minister Anna Berg said the budget would pass. "
    "Critics warned that the plan would cost more. "
    "The bridge cost 40 million euros."
)


def span(text: str, after: int = 0) -> dict:
    start = BODY.index(text, after)
    return {"start": start, "end": start + len(text), "text": text}


def record(article_id: int, *, state: str = "reviewed", attributions=None, outlet: str = "Harbour Times") -> dict:
    """A line of the Sourcing Desk JSONL export (the fields the reader uses, and some it ignores)."""
    if attributions is None:
        attributions = [
            {
                "source": span("Finance Minister Anna Berg"),
                "cue": span("said"),
                "content": span("the budget would pass"),
                "source_type": "named_person",
                "anonymity": None,
                "review_state": "confirmed",
            },
            {
                "source": span("Critics"),
                "cue": span("warned"),
                "content": span("that the plan would cost more"),
                "source_type": "unspecified",
                "anonymity": None,
                "review_state": "added",
            },
            {  # a proposal the editor rejected: a negative
                "source": None,
                "cue": span("cost", BODY.index("bridge")),
                "content": span("40 million euros"),
                "source_type": "unspecified",
                "anonymity": None,
                "review_state": "rejected",
            },
        ]
    return {
        "format": "sourcing-desk/1",
        "id": str(article_id),
        "article_id": article_id,
        "outlet": outlet,
        "published": f"2026-03-{article_id:02d}",
        "text": BODY,
        "state": state,
        "reviewed": state == "reviewed",
        "sentences": [],
        "attributions": attributions,
    }


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_reviewed_articles_only_with_rejected_proposals_apart(tmp_path):
    path = write_jsonl(tmp_path / "reviewed.jsonl", [record(1), record(2, state="in_review"), record(3)])
    read = learn.read_reviewed_jsonl(path)
    assert [d.article_id for d in read.docs] == [1, 3]
    assert read.skipped_unreviewed == 1  # unreviewed articles never count
    doc = read.docs[0]
    assert [BODY[a.cue[0][0] : a.cue[0][1]] for a in doc.attributions] == ["said", "warned"]
    assert [BODY[a.content[0][0] : a.content[0][1]] for a in doc.rejected] == ["40 million euros"]
    assert doc.outlet == "Harbour Times" and doc.published == "2026-03-01"
    described = learn.describe(read.docs)
    assert described["outlets"] == {"Harbour Times": 2}
    assert (described["published_from"], described["published_to"]) == ("2026-03-01", "2026-03-03")
    assert (described["attributions"], described["rejected"]) == (4, 2)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"text": 3}, "line 1, field 'text'"),
        (record(1, attributions=[{"cue": {"start": 5, "end": 2}, "review_state": "confirmed"}]), "attributions[0].cue"),
        (record(1, attributions=[{"cue": {"start": 5, "end": 900}, "review_state": "added"}]), "ends after the text"),
        (record(1, attributions=[{"cue": span("said"), "review_state": "proposed"}]), "attributions[0].review_state"),
    ],
)
def test_bad_training_data_names_file_line_and_field(tmp_path, row, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [row])
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        learn.read_reviewed_jsonl(path)
    assert str(path) in str(info.value)


def test_rejected_proposals_are_labelled_outside():
    nlp = spacy.blank("en")
    doc = learn.ReviewedDoc("a", BODY, *_gold_and_rejected())
    (example,) = train.examples_of(nlp, [doc])
    ents = {(e.text, e.label_) for e in example.reference.ents}
    assert ("said", "CUE") in ents and ("Critics", "SOURCE") in ents
    bridge = BODY.index("40 million")
    rejected = example.reference.char_span(bridge, bridge + len("40 million euros"))
    assert all(t.ent_iob_ == "O" for t in rejected)  # explicitly outside, not missing
    assert example.reference.user_data["negative_tokens"] == 4  # "cost" and "40 million euros"


def _gold_and_rejected():
    from annotations.prepass.brat import GoldAttribution

    def s(text, after=0):
        i = BODY.index(text, after)
        return [(i, i + len(text))]

    kept = [
        GoldAttribution(s("Finance Minister Anna Berg"), s("said"), s("the budget would pass")),
        GoldAttribution(s("Critics"), s("warned"), s("that the plan would cost more")),
    ]
    rejected = [GoldAttribution([], s("cost", BODY.index("bridge")), s("40 million euros"))]
    return kept, rejected


def test_held_out_slice_is_stable_as_the_desk_grows():
    docs = [learn.ReviewedDoc(f"article-{i}", BODY, []) for i in range(200)]
    train_docs, dev = learn.split_dev(docs, 0.1)
    assert 10 <= len(dev) <= 30 and len(train_docs) + len(dev) == 200
    more_train, more_dev = learn.split_dev(
        [*docs, *(learn.ReviewedDoc(f"article-{i}", BODY, []) for i in range(200, 400))]
    )
    assert {d.name for d in dev} <= {d.name for d in more_dev}  # a dev article stays dev
    assert not {d.name for d in more_train} & {d.name for d in dev}
    small_train, small_dev = learn.split_dev(docs[:2], 0.1)
    assert len(small_dev) == 1 and len(small_train) == 1
    assert learn.split_dev(docs[:1], 0.1) == (docs[:1], [])


def test_a_short_run_trains_warm_scores_old_and_new_and_records_its_data(tmp_path):
    base = write_folder(tmp_path / "base", 4)
    polnear_dev = write_folder(tmp_path / "dev", 2)
    reviewed = [learn.ReviewedDoc(f"article-{i}", BODY, *_gold_and_rejected(), "Harbour Times", "2026-03-0" + str(i))
                for i in range(1, 6)]  # fmt: skip
    first = tmp_path / "v1" / "model"
    options = learn.RunOptions(epochs=1, base_corpus=str(base), reviewed_weight=2, seed=1)
    steps = []
    run = learn.train_from_reviews(
        reviewed,
        first,
        options,
        polnear_dev=polnear_dev,
        meta={"model_version": "v1"},
        report=lambda _m: None,
        on_progress=lambda phase, done, total, _msg: steps.append((phase, done, total)),
    )
    data = run["training_data"]
    assert data["reviewed"]["articles"] == 5 and data["train"]["articles"] + data["dev"]["articles"] == 5
    assert data["dev"]["articles"] >= 1 and data["base_corpus"] == {"name": "base", "articles": 4}
    assert data["negative_tokens"] == 4 * data["train"]["articles"]
    assert run["result"]["doc_updates"] == 4 + 2 * data["train"]["articles"]  # base + reviewed twice, one epoch
    assert {p for p, *_ in steps} == {"annotating", "training", "evaluating", "saving"}
    assert set(run["figures"]) == {"reviewed_dev", "polnear_dev"}  # no MCAE folder given
    assert set(run["figures"]["polnear_dev"]) == {"new"}  # no old model given
    nlp = spacy.load(first)
    assert prepass.model_version_of(nlp) == "v1"

    # the next version starts from v1's weights and is scored beside it
    second = tmp_path / "v2" / "model"
    run2 = learn.train_from_reviews(
        reviewed,
        second,
        learn.RunOptions(epochs=1, init_dir=str(first), seed=1),
        old_model=str(first),
        meta={"model_version": "v2"},
        report=lambda _m: None,
    )
    assert set(run2["figures"]["reviewed_dev"]) == {"old", "new"}
    for figures in run2["figures"]["reviewed_dev"].values():
        assert set(learn.ROLE_KEYS) <= set(figures) and figures["docs"] == data["dev"]["articles"]
    assert run2["training_data"]["base_corpus"] is None


def test_get_nlp_follows_the_promoted_version(tmp_path, settings):
    settings.MODEL_VERSIONS_DIR = tmp_path
    shipped = prepass.get_nlp()
    assert prepass.model_version_of(shipped) in (prepass.SHIPPED_VERSION, prepass.RULES_VERSION)
    # a version folder holding a pipeline that says it is "v7" (a blank one: loading is what is tested)
    nlp = spacy.blank("en")
    nlp.meta["sourcing_desk"] = {"model_version": "v7"}
    (tmp_path / "v7").mkdir()
    nlp.to_disk(tmp_path / "v7" / "model")
    (tmp_path / prepass.ACTIVE_POINTER).write_text("v7\n")
    assert prepass.model_version_of(prepass.get_nlp()) == "v7"  # noticed on the next call
    (tmp_path / prepass.ACTIVE_POINTER).write_text("../../etc\n")  # not a version folder: ignored
    assert prepass.get_nlp() is shipped
    (tmp_path / prepass.ACTIVE_POINTER).write_text("v8\n")  # a version that is not there: the shipped model
    assert prepass.get_nlp() is shipped
    (tmp_path / prepass.ACTIVE_POINTER).unlink()
    assert prepass.get_nlp() is shipped


def test_a_warm_start_from_another_architecture_starts_afresh(tmp_path):
    """A model whose tagger cannot lend its weights (here: the rules-only base pipeline has none) is no error."""
    base = tmp_path / "not-a-tagger"
    (base / "attr_ner").mkdir(parents=True)
    reviewed = [learn.ReviewedDoc(f"article-{i}", BODY, *_gold_and_rejected()) for i in range(3)]
    messages: list[str] = []
    run = learn.train_from_reviews(
        reviewed, tmp_path / "v" / "model", learn.RunOptions(epochs=1, init_dir=str(base)), report=messages.append
    )
    assert run["result"]["warm_start"] is False
    assert any("random weights instead" in m for m in messages)
