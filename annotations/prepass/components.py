"""spaCy components of the pre-pass, registered as factories so they work in ``spacy.load`` configs.

- ``prepass_features``: writes into ``token.lemma`` a parse feature for the trained
  ``attr_ner`` (the lower-cased verb governing the token's clause, prefixed by ``Q``
  inside quotation marks). The lemmatizer is excluded from our pipeline, so LEMMA is a
  free slot; nothing else in the pre-pass reads lemmas.
- ``attr_stash``: moves the SOURCE/CUE/CONTENT entities of ``attr_ner`` into
  ``doc.spans["attr"]`` and clears ``doc.ents`` (as *missing*, not *O*) so that the
  stock ``ner`` that follows can still find PERSON/ORG/... entities.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

ATTR_SPANS_KEY = "attr"
OPEN_QUOTES = {"“", '"', "``", "‘‘"}
CLOSE_QUOTES = {"”", '"', "''", "’’"}
_VERB_POS = {"VERB", "AUX"}


def clause_feature(doc: Doc) -> list[str]:
    """One feature string per token: the governing verb of its clause, with a quote flag."""
    feats: list[str] = []
    in_quote = False
    for tok in doc:
        text = tok.text
        if text == '"':
            in_quote = not in_quote
        elif text in OPEN_QUOTES or text == "“":
            in_quote = True
        elif text in CLOSE_QUOTES or text == "”":
            in_quote = False
        head = tok
        steps = 0
        while head.pos_ not in _VERB_POS and head.head.i != head.i and steps < 8:
            head = head.head
            steps += 1
        verb = head.lower_ if head.pos_ in _VERB_POS else "-"
        feats.append(("Q" if in_quote else "") + verb)
    return feats


def set_features(doc: Doc) -> Doc:
    for tok, feat in zip(doc, clause_feature(doc), strict=True):
        tok.lemma_ = feat
    return doc


@Language.factory("prepass_features")
def make_prepass_features(nlp: Language, name: str):
    return set_features


def stash_ents(doc: Doc) -> Doc:
    doc.spans[ATTR_SPANS_KEY] = list(doc.ents)
    doc.set_ents([], default="missing")
    return doc


@Language.factory("attr_stash")
def make_attr_stash(nlp: Language, name: str):
    return stash_ents
