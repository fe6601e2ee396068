"""Sentence labels of taxonomy.md: sourced, unsourced_claim, no_claim, boilerplate."""

from __future__ import annotations

import re

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
CLAIM_ENTS = {"PERSON", "ORG", "GPE", "NORP", "DATE", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "EVENT", "LAW",
              "FAC", "LOC", "TIME", "ORDINAL"}


def label_sentence(span, text: str, covered: bool, index: int) -> tuple[str, float]:
    """Label and confidence of the sentence ``span`` (a spaCy Span; ``text`` is its trimmed text)."""
    if BOILERPLATE.match(text) or (len(text) < 200 and BOILER_ANYWHERE.search(text)):
        return "boilerplate", 0.8
    if covered:
        return "sourced", 0.85
    words = [t for t in span if not t.is_punct and not t.is_space]
    has_verb = any((t.pos_ in ("VERB", "AUX") and t.tag_ not in ("VBG",)) or (t.dep_ == "ROOT" and t.pos_ == "VERB")
                   for t in span)
    if text.rstrip().endswith("?"):
        return "no_claim", 0.75
    if len(words) < 4:
        return "no_claim", 0.7
    if index == 0 and not text.rstrip().endswith((".", "!", "?", "”", '"')):
        return "no_claim", 0.7  # the headline
    if not has_verb:
        return "no_claim", 0.6
    if any(t.lower_ in OPINION for t in span) or any(t.lower_ in ("i", "we", "you") and t.dep_ == "nsubj"
                                                          for t in span):
        return "no_claim", 0.5
    facts = sum(1 for t in span if t.ent_type_ in CLAIM_ENTS or t.like_num)
    past = any(t.tag_ in ("VBD", "VBN") for t in span)
    if facts >= 1 or past:
        return "unsourced_claim", min(0.85, 0.5 + 0.1 * facts + (0.1 if past else 0.0))
    return "no_claim", 0.45
