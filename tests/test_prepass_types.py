"""Source types, relays and anonymity on sentences written for these tests (no corpus text), and the
MCAE-format reader and scorer on a folder the test writes."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.prepass import get_nlp, propose_doc
from annotations.prepass.mcae import Statement, TypeScorer, read_mcae
from annotations.prepass.outlets import OutletMatcher

OUTLETS = ["The Harbour Ledger", "Northfield Courier"]


def run(text: str):
    return propose_doc(get_nlp()(text), OUTLETS)


def part(text, span):
    return text[span[0] : span[1]] if span else None


def by_source(text, proposal, source_text):
    found = [a for a in proposal.attributions if part(text, a.source) == source_text]
    assert found, [(part(text, a.source), part(text, a.cue)) for a in proposal.attributions]
    return found[0]


# --- relays: the outer attribution and the inner one, via the outlet ---------------------------------------


def test_which_cited_gives_the_report_and_the_officials_it_cited():
    text = (
        "The ferry talks have stalled, according to a report from the Ledger, which cited two unnamed port officials."
    )
    p = run(text)
    outer = by_source(text, p, "a report from the Ledger")
    inner = by_source(text, p, "two unnamed port officials")
    assert outer.source_type == "media"
    assert inner.source_type == "anonymous" and inner.via == "The Harbour Ledger"
    assert inner.anonymity.number == "2" and inner.anonymity.descriptor == "port"
    assert part(text, inner.content) == part(text, outer.content) == "The ferry talks have stalled"


def test_citing_gives_the_outlet_and_the_cited_sources():
    text = "The Ledger, citing two senior officials, reported that the ferry contract had been cancelled."
    p = run(text)
    assert by_source(text, p, "The Ledger").source_type == "media"
    inner = by_source(text, p, "two senior officials")
    assert inner.source_type == "anonymous" and inner.via == "The Harbour Ledger"
    assert inner.anonymity.seniority == "senior"
    assert part(text, inner.content) == "that the ferry contract had been cancelled"


def test_told_an_outlet_gives_the_outlet_its_own_attribution():
    text = "Two harbour pilots told the Ledger that the channel was unsafe."
    p = run(text)
    inner = by_source(text, p, "Two harbour pilots")
    assert inner.source_type == "anonymous" and inner.via == "The Harbour Ledger"
    outer = by_source(text, p, "the Ledger")
    assert outer.source_type == "media" and outer.via == ""
    assert outer.content == inner.content


def test_a_source_that_spoke_to_the_articles_own_outlet_is_first_hand():
    text = "Two harbour pilots told the Ledger that the channel was unsafe."
    p = propose_doc(get_nlp()(text), OUTLETS, own_outlet="The Harbour Ledger")
    assert len(p.attributions) == 1
    assert p.attributions[0].source_type == "anonymous" and p.attributions[0].via == ""


def test_according_to_an_outlet_then_a_source_said():
    text = "According to the Ledger, a senior diplomat said the border talks had failed."
    p = run(text)
    assert by_source(text, p, "the Ledger").source_type == "media"
    inner = by_source(text, p, "a senior diplomat")
    assert inner.source_type == "anonymous" and inner.via == "The Harbour Ledger"
    assert inner.anonymity.seniority == "senior"


def test_quote_inside_a_quote_keeps_the_inner_anonymous_source():
    text = "“A council source said the stadium deal was dead,” the Ledger reported."
    p = run(text)
    assert by_source(text, p, "the Ledger").source_type == "media"
    inner = by_source(text, p, "A council source")
    assert inner.source_type == "anonymous" and inner.via == "The Harbour Ledger"
    assert inner.anonymity.specificity == "affiliated" and inner.anonymity.descriptor == "council"


def test_reported_that_a_source_said():
    text = "The Ledger reported that a government source said the ferry would be sold."
    p = run(text)
    inner = by_source(text, p, "a government source")
    assert inner.source_type == "anonymous" and inner.via == "The Harbour Ledger"


# --- types from the article's own evidence ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ("Vantage Labs added that the chip would ship in May.", "Vantage Labs", "named_organization"),
        ("Harbor Patrol says the beach will stay closed.", "Harbor Patrol", "named_organization"),
        ("Coastal Gas announced on Friday that prices would rise.", "Coastal Gas", "named_organization"),
        (
            "A Northwind Air spokesperson said the flight was late.",
            "A Northwind Air spokesperson",
            "named_organization",
        ),
        (
            "A spokeswoman for Kestrel Water said the pipes were safe.",
            "A spokeswoman for Kestrel Water",
            "named_organization",
        ),
        (
            "A poll by the Meridian Institute found that most voters back the plan.",
            "A poll by the Meridian Institute",
            "document",
        ),
        ("Court filings show the contract was signed twice.", "Court filings", "document"),
        ("The Courier reported that the mayor would resign.", "The Courier", "media"),
        ("One commenter called the design a disaster.", "One commenter", "anonymous"),
        ("His neighbour said the house had been empty for years.", "His neighbour", "anonymous"),
    ],
)
def test_source_types(text, source, expected):
    assert by_source(text, run(text), source).source_type == expected


def test_a_bare_surname_takes_the_type_of_the_full_name():
    text = (
        "Marta Quell, who chairs the fishermen's association, said the fees were too high. "
        "Quell said the association would appeal. She added that boats were leaving."
    )
    p = run(text)
    assert by_source(text, p, "Quell").source_type == "named_person"
    she = by_source(text, p, "She")
    assert she.source_type == "named_person" and she.speaker_ref is not None


def test_it_takes_the_type_of_the_body_it_refers_back_to_and_a_report_is_a_document():
    text = (
        "The Kestrel Port Authority said the dredging bill had doubled. "
        "It said in its annual report that the channel silts up faster every winter."
    )
    p = run(text)
    assert by_source(text, p, "The Kestrel Port Authority").source_type == "named_organization"
    assert by_source(text, p, "It").source_type == "document"


# --- anonymity fields and their justification --------------------------------------------------------------


def test_justification_outside_the_source_span_is_linked_to_the_source():
    text = (
        "A utility engineer, who asked not to be named because he was not authorized to speak publicly, "
        "said the pipes were corroded."
    )
    p = run(text)
    assert len(p.attributions) == 1  # "who asked not to be named" is the reason, not an attribution
    a = p.attributions[0]
    assert part(text, a.source) == "A utility engineer"
    assert a.source_type == "anonymous"
    assert part(text, a.anonymity.justification).startswith("who asked not to be named")
    assert a.anonymity.specificity == "role"


def test_justification_on_the_cue_verb():
    text = "The bridge was unsafe, said the official, speaking on condition of anonymity."
    a = by_source(text, run(text), "the official")
    assert a.source_type == "anonymous"
    assert "anonymity" in part(text, a.anonymity.justification)


def test_outlet_short_names_need_a_capital_and_the():
    m = OutletMatcher(["Northfield Courier", "The Harbour Ledger"])
    assert m.find("The Courier viewed the contract") == "Northfield Courier"
    assert m.canonical("the Ledger") == "The Harbour Ledger"
    assert m.find("the courier delivered it") == ""
    assert m.canonical("the courier") == ""


# --- the MCAE-format reader and scorer ----------------------------------------------------------------------


def test_type_scorer_counts_found_type_right_and_anonymous_rows():
    statements = [
        Statement([(0, 10)], "named_person"),
        Statement([(20, 30)], "anonymous", "Anonymous Source"),
        Statement([(40, 50)], "unnamed_group"),
        Statement([(60, 70)], "document"),
    ]
    proposals = [
        {"cue": (2, 4), "content": None, "source_type": "named_person"},
        {"cue": (22, 24), "content": None, "source_type": "named_organization"},
        {"cue": None, "content": (41, 45), "source_type": "unspecified"},
        {"cue": (80, 85), "content": None, "source_type": "media"},
    ]
    scorer = TypeScorer()
    scorer.add(statements, proposals)
    r = scorer.report()
    assert (r["statements"], r["found"], r["type_right"]) == (4, 3, 2)
    assert r["type_accuracy"] == round(2 / 3, 4)
    assert r["anonymous_rows"] == 1 and r["anonymous_recall"] == 0.0
    assert r["confusion"]["anonymous -> named_organization"] == 1
    assert r["confusion"]["document -> (not found)"] == 1
    assert r["per_type"]["named_organization"]["precision"] == 0.0
    assert r["proposals_outside_statements"] == {"media": 1}


def test_read_mcae_names_file_line_and_field(tmp_path):
    good = {"doc": "a", "text": "Berg said the fees would rise.", "sentences": [
        {"start": 0, "end": 30, "statement_spans": [[0, 30]], "source_type": "named_person"},
        {"start": None, "end": None, "statement_spans": [], "source_type": "document"},
    ]}  # fmt: skip
    bad = {"doc": "b", "text": "x", "sentences": [{"statement_spans": [[0, 1]], "source_type": "person"}]}
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(good) + "\n")
    docs = read_mcae(tmp_path)
    assert len(docs) == 1 and len(docs[0].statements) == 1  # the unaligned row is left out
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(ValueError, match=r"line 2, field 'sentences\[0\]\.source_type'"):
        read_mcae(tmp_path)
    path.write_text("{not json\n")
    with pytest.raises(ValueError, match="line 1: not JSON"):
        read_mcae(tmp_path)


def test_evaluate_prepass_mcae_prints_the_figures(tmp_path, capsys):
    text = (
        "Harbour fees will rise, the Kestrel Port Authority said on Tuesday. Two pilots told the Ledger it was unsafe."
    )
    row = {"doc": "t1", "text": text, "meta": {"publisher": "The Harbour Ledger"}, "sentences": [
        {"start": 0, "end": 67, "statement_spans": [[0, 67]], "source_type": "named_organization"},
        {"start": 68, "end": len(text), "statement_spans": [[68, len(text)]], "source_type": "anonymous"},
    ]}  # fmt: skip
    (tmp_path / "gold.jsonl").write_text(json.dumps(row) + "\n")
    call_command("evaluate_prepass", "--mcae", str(tmp_path), "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["statements"] == 2 and result["found"] == 2
    assert result["type_accuracy"] == 1.0 and result["anonymous_recall"] == 1.0
    with pytest.raises(CommandError, match="no such file"):
        call_command("evaluate_prepass", "--mcae", str(tmp_path / "missing"))


# --- the demo articles: the pre-pass types their sources as their gold says -------------------------------


def test_demo_gold_types():
    from pathlib import Path

    from annotations.demo_gold import gold_path, load_gold
    from annotations.importing import read_upload
    from annotations.prepass import propose_many

    demo = Path(__file__).resolve().parent.parent / "annotations" / "demo"
    files = sorted(p for p in demo.rglob("*") if p.suffix in {".txt", ".html", ".jsonl", ".csv"})
    articles = [a for p in files for a in read_upload(str(p.relative_to(demo)), p.read_bytes())]
    pairs = [(a, gold_path(source_name=a.source_name, external_id=a.external_id)) for a in articles]
    pairs = [(a, path) for a, path in pairs if path is not None]
    outlets = sorted({a.outlet for a in articles} | {"Coastline Post", "Evening Wire"})
    total = found = right = 0
    wrong = []
    proposals = propose_many([a.body for a, _ in pairs], outlets=outlets, own_outlets=[a.outlet for a, _ in pairs])
    for (article, path), proposal in zip(pairs, proposals, strict=True):
        for gold in load_gold(path, article.body):
            total += 1
            hits = [
                p
                for p in proposal.attributions
                if p.cue
                and p.cue[0] < gold["cue_end"]
                and gold["cue_start"] < p.cue[1]
                and (p.source is None or gold["source_start"] is None or p.source[0] < gold["source_end"])
                and (p.source is None or gold["source_start"] is None or gold["source_start"] < p.source[1])
            ]
            found += bool(hits)
            if any(p.source_type == gold["source_type"] for p in hits):
                right += 1
            elif hits:
                wrong.append((path.name, gold["source"], gold["source_type"], [p.source_type for p in hits]))
    assert total >= 60
    assert found >= 0.9 * total
    assert right == found, wrong
