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

import numpy as np
from spacy.attrs import HEAD, LEMMA, ORTH, POS
from spacy.language import Language
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.strings import get_string_id
from spacy.tokens import Doc

ATTR_SPANS_KEY = "attr"
OPEN_QUOTES = {"“", '"', "``", "‘‘"}
CLOSE_QUOTES = {"”", '"', "''", "’’"}
_VERB_POS = {"VERB", "AUX"}


def in_sorted(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``np.isin(values, ids)`` for a sorted, non-empty ``ids`` (much cheaper on small sets: no sorting)."""
    at = np.searchsorted(ids, values)
    np.minimum(at, len(ids) - 1, out=at)
    return ids[at] == values


_QUOTE_TOGGLE = get_string_id('"')
_QUOTE_OPEN = {get_string_id(t) for t in (*OPEN_QUOTES, "“")} - {_QUOTE_TOGGLE}
_QUOTE_CLOSE = {get_string_id(t) for t in (*CLOSE_QUOTES, "”")} - {_QUOTE_TOGGLE} - _QUOTE_OPEN
_QUOTE_ORTHS = np.array(sorted({_QUOTE_TOGGLE, *_QUOTE_OPEN, *_QUOTE_CLOSE}), dtype=np.uint64)
_VERB_POS_IDS = np.array(sorted(POS_IDS[p] for p in _VERB_POS), dtype=np.uint64)


def clause_feature(doc: Doc) -> list[str]:
    """One feature string per token: the governing verb of its clause, with a quote flag."""
    n = len(doc)
    if not n:
        return []
    arr = doc.to_array([ORTH, POS, HEAD])
    is_verb = in_sorted(arr[:, 1], _VERB_POS_IDS).tolist()
    heads = (np.arange(n, dtype=np.int64) + arr[:, 2].astype(np.int64)).tolist()
    # the quote state changes only at quote marks: remember where, and what they do
    marks = {}
    orths = arr[:, 0]
    for i in np.flatnonzero(in_sorted(orths, _QUOTE_ORTHS)).tolist():
        marks[i] = int(orths[i])
    lower: dict[int, str] = {}
    feats: list[str] = []
    in_quote = False
    for i in range(n):
        if i in marks:
            orth = marks[i]
            if orth == _QUOTE_TOGGLE:
                in_quote = not in_quote
            elif orth in _QUOTE_OPEN:
                in_quote = True
            else:
                in_quote = False
        h = i
        steps = 0
        while not is_verb[h] and heads[h] != h and steps < 8:
            h = heads[h]
            steps += 1
        if is_verb[h]:
            verb = lower.get(h)
            if verb is None:
                verb = lower[h] = doc[h].lower_
        else:
            verb = "-"
        feats.append(("Q" if in_quote else "") + verb)
    return feats


def set_features(doc: Doc) -> Doc:
    feats = clause_feature(doc)
    if feats:
        strings = doc.vocab.strings
        doc.from_array([LEMMA], np.array([strings.add(f) for f in feats], dtype=np.uint64))
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
