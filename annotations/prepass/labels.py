"""Sentence labels of taxonomy.md: sourced, unsourced_claim, no_claim, boilerplate."""

from __future__ import annotations

import re

import numpy as np
from spacy.attrs import DEP, ENT_TYPE, IS_PUNCT, IS_SPACE, LIKE_NUM, LOWER, POS, TAG
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.strings import get_string_id

from .components import in_sorted

BOILERPLATE = re.compile(
    r"^(leave a (reply|comment)|subscribe\b|sign up\b|click here|follow us|share (this|on)|advertisement\b|"
    r"read more\b|related( articles| stories|:)|all rights reserved|copyright\b|©|newsletter|"
    r"we use cookies|cookie policy|privacy policy|terms of (use|service)|log ?in\b|register\b|"
    r"download (the|our) app|watch:|listen:|photo:|image:|getty images|this article (was|is)|"
    r"you may also like|recommended\b|comments?\b|posted (in|by)\b|filed under|tags?:)",
    re.IGNORECASE,
)
BOILER_ANYWHERE = re.compile(
    r"(all rights reserved|©|subscribe (now|today)|sign up for|click here|javascript|enable cookies|"
    r"this material may not be published|newsletter)",
    re.IGNORECASE,
)
OPINION = {"should", "must", "ought", "seems", "perhaps", "maybe", "arguably", "hopefully", "surely"}
CLAIM_ENTS = {
    "PERSON",
    "ORG",
    "GPE",
    "NORP",
    "DATE",
    "CARDINAL",
    "MONEY",
    "PERCENT",
    "QUANTITY",
    "EVENT",
    "LAW",
    "FAC",
    "LOC",
    "TIME",
    "ORDINAL",
}


_FEATURE_ATTRS = [IS_PUNCT, IS_SPACE, POS, TAG, DEP, LOWER, ENT_TYPE, LIKE_NUM]


def _ids(strings) -> np.ndarray:
    return np.array(sorted(get_string_id(s) for s in strings), dtype=np.uint64)


_VERB_AUX = np.array(sorted([POS_IDS["VERB"], POS_IDS["AUX"]]), dtype=np.uint64)
_VBG, _ROOT, _NSUBJ = (np.uint64(get_string_id(s)) for s in ("VBG", "ROOT", "nsubj"))
_OPINION_IDS = _ids(OPINION)
_PERSONAL_IDS = _ids(("i", "we", "you"))
_CLAIM_ENT_IDS = _ids(CLAIM_ENTS)
_PAST_IDS = _ids(("VBD", "VBN"))


def doc_counts(doc) -> tuple[list[int], ...]:
    """Prefix sums over the tokens of ``doc`` of what ``label_sentence`` counts, from one ``to_array``.

    Returns (words, verbs, opinion markers, facts, past-tense verbs); the count in tokens
    ``[a, b)`` is ``c[b] - c[a]``.
    """
    arr = doc.to_array(_FEATURE_ATTRS)
    punct, space, pos, tag, dep, lower, ent, like_num = (arr[:, k] for k in range(len(_FEATURE_ATTRS)))
    is_verb_pos = pos == POS_IDS["VERB"]
    masks = (
        (punct == 0) & (space == 0),
        (in_sorted(pos, _VERB_AUX) & (tag != _VBG)) | ((dep == _ROOT) & is_verb_pos),
        in_sorted(lower, _OPINION_IDS) | (in_sorted(lower, _PERSONAL_IDS) & (dep == _NSUBJ)),
        in_sorted(ent, _CLAIM_ENT_IDS) | (like_num != 0),
        in_sorted(tag, _PAST_IDS),
    )
    out = []
    for mask in masks:
        c = np.zeros(len(mask) + 1, dtype=np.int64)
        np.cumsum(mask, out=c[1:])
        out.append(c.tolist())
    return tuple(out)


def label_sentence(span, text: str, covered: bool, index: int, counts=None) -> tuple[str, float]:
    """Label and confidence of the sentence ``span`` (a spaCy Span; ``text`` is its trimmed text).

    ``counts``: ``doc_counts(span.doc)``, computed once per doc by the caller (else here).
    """
    if BOILERPLATE.match(text) or (len(text) < 200 and BOILER_ANYWHERE.search(text)):
        return "boilerplate", 0.8
    if covered:
        return "sourced", 0.85
    if counts is None:
        counts = doc_counts(span.doc)
    words_c, verb_c, opinion_c, fact_c, past_c = counts
    a, b = span.start, span.end
    words = words_c[b] - words_c[a]
    has_verb = verb_c[b] > verb_c[a]
    if text.rstrip().endswith("?"):
        return "no_claim", 0.75
    if words < 4:
        return "no_claim", 0.7
    if index == 0 and not text.rstrip().endswith((".", "!", "?", "”", '"')):
        return "no_claim", 0.7  # the headline
    if not has_verb:
        return "no_claim", 0.6
    if opinion_c[b] > opinion_c[a]:
        return "no_claim", 0.5
    facts = fact_c[b] - fact_c[a]
    past = past_c[b] > past_c[a]
    if facts >= 1 or past:
        return "unsourced_claim", min(0.85, 0.5 + 0.1 * facts + (0.1 if past else 0.0))
    return "no_claim", 0.45
