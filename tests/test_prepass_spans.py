"""Span boundaries and relays the pre-pass gets right on PolNeAR's terms, on sentences written for these tests
(no corpus text): interrupted quotes keep their whole content, appositive sources their closing comma, and
"citing" makes an inner source only of something that can speak."""

from __future__ import annotations

from annotations.prepass import get_nlp, propose_doc

OUTLETS = ["The Harbour Ledger"]


def run(text: str):
    proposal = propose_doc(get_nlp()(text), OUTLETS)
    part = lambda span: text[span[0] : span[1]] if span else None  # noqa: E731
    return [(part(a.source), part(a.cue), part(a.content), a.source_type, a.via) for a in proposal.attributions]


def test_an_interrupted_quote_keeps_both_parts_and_its_speaker():
    text = '"The ferry will run again in May," said Carla Nunez, the port director, "if the repairs go to plan."'
    [(source, cue, content, kind, _via)] = run(text)
    assert (source, cue, kind) == ("Carla Nunez, the port director,", "said", "named_person")
    assert content == text  # both quoted parts, the reporting clause between them


def test_citing_a_reason_is_not_a_source():
    for reason in ("the release of two jailed activists", "her work on the harbour board"):
        text = f"The port has changed for the better, the senator said in June, citing {reason}."
        found = run(text)
        assert reason not in [source for source, *_ in found], found
        assert ("the senator", "said") in [(source, cue) for source, cue, *_ in found]


def test_citing_officials_still_gives_the_inner_anonymous_source():
    text = "The ferry contract was cancelled, the Ledger reported, citing two senior officials."
    found = {source: (cue, content, kind, via) for source, cue, content, kind, via in run(text)}
    assert found["the Ledger"][2] == "media"
    assert found["two senior officials"] == (
        "citing",
        "The ferry contract was cancelled",
        "anonymous",
        "The Harbour Ledger",
    )
