"""Rule-based attribution finding over the parse (token offsets; ``Cand`` is the internal proposal).

One linear pass over the tokens finds cues (verbs of saying and believing, "according to",
hedges, colons before quotes); the speaker comes from the parse (subject, passive agent,
inverted subject), the content from the verb's clausal complement or, for parentheticals
("..., the official said"), from the clause the cue interrupts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from spacy.attrs import IS_SPACE, LOWER, ORTH
from spacy.strings import get_string_id

from .components import in_sorted
from .lexicon import (
    BELIEF_FORMS,
    EXPLETIVE_PASSIVE,
    FIRST_SECOND,
    HEDGES,
    LABEL_STOP,
    SPEECH_FORMS,
)

Tok = tuple[int, int]  # token offsets, half-open

OPEN_Q = {"“", "‘‘", "``"}
CLOSE_Q = {"”", "’’"}

_QUOTE_ORTHS = np.array(sorted(get_string_id(t) for t in (*OPEN_Q, *CLOSE_Q, '"', "''", "\n\n")), dtype=np.uint64)
_TRIGGER_LOWERS = np.array(
    sorted({get_string_id(t) for t in (*SPEECH_FORMS, *BELIEF_FORMS, "according", *HEDGES)}), dtype=np.uint64
)
_TRIGGER_ORTHS = np.array(sorted(get_string_id(t) for t in (":", "―", "—", "--")), dtype=np.uint64)


@dataclass
class Cand:
    cue: Tok | None
    source: Tok | None
    content: Tok | None
    kind: str  # which rule
    confidence: float
    quote_kind: str = "indirect"
    evidence: list[str] = field(default_factory=list)
    source_type: str = ""
    via: str = ""
    anonymity: dict | None = None
    speaker_ref: int | None = None
    cue_head: int | None = None  # token index of the cue word
    relayed_by: Cand | None = None  # the outer attribution of a relayed source ("X, citing Y")


def find_quotes(doc) -> list[Tok]:
    """Direct quotations as token ranges including the marks; curly pairs and straight-quote toggles."""
    quotes: list[Tok] = []
    open_at: int | None = None
    straight_at: int | None = None
    # only quote marks and white-space tokens matter: find them from the ORTH / IS_SPACE arrays
    arr = doc.to_array([ORTH, IS_SPACE])
    for i in np.flatnonzero(in_sorted(arr[:, 0], _QUOTE_ORTHS) | (arr[:, 1] != 0)).tolist():
        t = doc[i].text
        if t in OPEN_Q:
            open_at = i
        elif t in CLOSE_Q and open_at is not None:
            quotes.append((open_at, i + 1))
            open_at = None
        elif t in ('"', "''"):
            if straight_at is None:
                straight_at = i
            else:
                quotes.append((straight_at, i + 1))
                straight_at = None
        elif t == "\n\n" or (doc[i].is_space and "\n" in t and open_at is not None and i - open_at > 400):
            open_at = straight_at = None  # unbalanced: a paragraph break ends it
    quotes.sort()
    return quotes


def _is_quote(tok) -> bool:
    return tok.text in OPEN_Q or tok.text in CLOSE_Q or tok.text in ('"', "''")


def _trim(doc, start: int, end: int, keep_quotes: bool = True) -> Tok | None:
    """Strip white space, punctuation (but not quote marks) and a leading conjunction from a token range."""
    while start < end and (
        doc[start].is_space
        or (doc[start].is_punct and not (keep_quotes and _is_quote(doc[start])))
        or doc[start].lower_ in ("and", "but")
    ):
        start += 1
    while end > start and (
        doc[end - 1].is_space
        or (doc[end - 1].is_punct and doc[end - 1].text not in "%$" and not (keep_quotes and _is_quote(doc[end - 1])))
    ):
        end -= 1
    return (start, end) if start < end else None


def _subtree(tok) -> Tok:
    return tok.left_edge.i, tok.right_edge.i + 1


def _source_of(verb):
    """The speaker token of a cue verb: subject, passive agent, or the subject of the governing verb."""
    subj = agent = expl = None
    for child in verb.children:
        if child.dep_ in ("nsubj", "csubj") and subj is None:
            subj = child
        elif child.dep_ == "nsubjpass":
            expl = child
        elif child.dep_ == "agent":
            pobj = [c for c in child.children if c.dep_ == "pobj"]
            agent = pobj[0] if pobj else None
        elif child.dep_ == "expl":
            expl = child
    if agent is not None:
        return agent, "passive agent"
    if subj is not None:
        return subj, "subject"
    inverted = _inverted_subject(verb)
    if inverted is not None:
        return inverted, "inverted subject"
    if expl is not None and expl.lower_ == "it" and verb.lower_ in EXPLETIVE_PASSIVE:
        return None, "expletive passive"
    if verb.dep_ in ("conj", "xcomp", "advcl") and verb.head.i != verb.i:
        if verb.dep_ == "advcl" and verb.tag_ != "VBG":
            return None, "no subject"
        head_src, how = _source_of(verb.head)
        if head_src is not None:
            return head_src, f"shared {how}"
    return None, "no subject"


def _inverted_subject(verb):
    """ "…, reported the Times." / "…, reports BisNow.": a name after a parenthetical cue verb at the end of
    its sentence, which the small parser reads as an object or adverb."""
    if verb.i == 0 or verb.doc[verb.i - 1].text not in (",", "”", '"', "’", "'") or verb.lower_ not in SPEECH_FORMS:
        return None
    sent_end = verb.sent.end
    while sent_end > verb.i + 1 and (verb.doc[sent_end - 1].is_punct or verb.doc[sent_end - 1].is_space):
        sent_end -= 1
    for child in verb.children:
        adjacent = child.i == verb.i + 1 or (child.i > verb.i and verb.doc[verb.i + 1].dep_ == "det")
        if (
            adjacent
            and child.dep_ in ("dobj", "advmod", "attr", "npadvmod", "oprd", "appos")
            and child.right_edge.i + 1 == sent_end
            and sent_end - verb.i <= 7
            and any(t.text[:1].isupper() for t in child.subtree)
        ):
            return child
    return None


def _content_of(verb, sent, excluded: Tok | None) -> tuple[Tok | None, str]:
    for child in verb.children:
        if child.dep_ in ("ccomp", "parataxis") and child.i > verb.i:
            return _subtree(child), "complement"
    for child in verb.children:
        if child.dep_ == "xcomp" and verb.lower_ in BELIEF_FORMS:
            return _subtree(child), "belief complement"
    for child in verb.children:
        if child.dep_ == "ccomp" and child.i < verb.i:
            return (sent.start, child.right_edge.i + 1), "fronted complement"
    for child in verb.children:
        if child.dep_ in ("dobj", "attr") and child.i > verb.i and child.right_edge.i - child.i > 4:
            return _subtree(child), "object clause"
    if verb.dep_ in ("parataxis", "ccomp", "advcl") and verb.head.i != verb.i and verb.i > verb.head.i:
        # "…, the official said": the clause the cue interrupts
        left = verb.left_edge.i if excluded is None else min(verb.left_edge.i, excluded[0])
        if left > sent.start:
            return (sent.start, left), "parenthetical"
    if verb.dep_ == "ROOT":
        left = verb.left_edge.i if excluded is None else min(verb.left_edge.i, excluded[0])
        if left - sent.start >= 3:
            return (sent.start, left), "fronted clause"
        right = verb.right_edge.i + 1
        if sent.end - right >= 3:
            return (right, sent.end), "trailing clause"
    return None, ""


def verb_cue(tok) -> Tok:
    """A cue verb with its auxiliaries, negation and particle ("has not denied", "pointed out")."""
    aux = [c.i for c in tok.children if c.dep_ in ("aux", "auxpass", "neg") and c.i < tok.i and tok.i - c.i <= 3]
    prt = [c.i for c in tok.children if c.dep_ == "prt" and c.i == tok.i + 1]
    return min([tok.i, *aux]), max([tok.i, *prt]) + 1


def verbal(doc, tok) -> Cand | None:
    low = tok.lower_
    belief = low in BELIEF_FORMS
    if not (low in SPEECH_FORMS or belief) or not tok.tag_.startswith("VB"):
        return None
    if tok.dep_ in ("amod", "compound", "acl") and tok.tag_ == "VBN":
        return None
    sent = tok.sent
    src_tok, how = _source_of(tok)
    source = None
    if src_tok is not None:
        if src_tok.lower_ in ("which", "that") and src_tok.head.head.i != src_tok.head.i:
            src_tok = src_tok.head.head  # "X, who said …" -> X
        s, e = _subtree(src_tok)
        if src_tok.dep_ in ("nsubj", "nsubjpass") and e > tok.i >= s:
            e = tok.i
        source = _trim(doc, s, e, keep_quotes=False)
        if src_tok.lower_ in ("there",):
            return None
    content, chow = _content_of(tok, sent, source)
    if content is not None and source is not None and content[0] < source[1] and source[0] < content[1]:
        # content must not swallow the source ("…, Smith said"): cut it before the reporting clause
        content = (content[0], min(content[1], source[0])) if content[0] < source[0] else None
    if content is not None:
        content = _trim(doc, *content)
    if content is None:
        return None
    first_person = source is not None and source[1] - source[0] == 1 and doc[source[0]].lower_ in FIRST_SECOND
    if belief and ((source is None and how != "expletive passive") or first_person):
        return None  # "I think", "you know": not a report
    cue = verb_cue(tok)
    conf = 0.8 if source is not None else 0.55
    if chow in ("parenthetical", "fronted clause", "trailing clause"):
        conf -= 0.1
    if belief:
        conf -= 0.15
    return Cand(
        cue,
        source,
        content,
        "verbal",
        conf,
        evidence=[f"cue verb {low}", f"speaker: {how}", f"content: {chow}"],
        cue_head=tok.i,
        source_type="unspecified" if how == "expletive passive" else "",
    )


def according_to(doc, tok) -> Cand | None:
    if tok.lower_ != "according" or tok.i + 1 >= len(doc) or doc[tok.i + 1].lower_ != "to":
        return None
    to = doc[tok.i + 1]
    pobj = [c for c in to.children if c.dep_ == "pobj"] or [c for c in tok.children if c.dep_ == "pobj"]
    if pobj:
        source = _trim(doc, *_subtree(pobj[0]), keep_quotes=False)
    else:
        end = tok.i + 2
        while end < tok.sent.end and not doc[end].is_punct:
            end += 1
        source = (tok.i + 2, end) if end > tok.i + 2 else None
    sent = tok.sent
    pp_end = source[1] if source else tok.i + 2
    before = _trim(doc, sent.start, tok.i)
    after = _trim(doc, pp_end, sent.end)
    content = max((c for c in (before, after) if c), key=lambda c: c[1] - c[0], default=None)
    if content is None:
        return None
    return Cand((tok.i, tok.i + 2), source, content, "according_to", 0.85, evidence=["according to"], cue_head=tok.i)


def hedge(doc, tok) -> Cand | None:
    if tok.lower_ not in HEDGES:
        return None
    head = tok.head
    sent = tok.sent
    s, e = _subtree(head) if head.i != tok.i else (sent.start, sent.end)
    content = _trim(doc, max(s, sent.start), min(e, sent.end))
    if content is None:
        return None
    return Cand(
        (tok.i, tok.i + 1),
        None,
        content,
        "hedge",
        0.6,
        evidence=[f"hedge {tok.lower_}"],
        source_type="unspecified",
        cue_head=tok.i,
    )


def _line_start(doc, i: int) -> int:
    """Index of the first token of the line (or sentence) holding token ``i``."""
    start = doc[i].sent.start
    for k in range(i - 1, start - 1, -1):
        if "\n" in doc[k].text or "\n" in doc[k].whitespace_:
            return k + 1
    return start


def colon_quote(doc, tok, quotes_by_start: dict[int, Tok]) -> Cand | None:
    """ "NAME: …" speaker labels and "X had a message: “…”" quote introductions."""
    if tok.text != ":" or tok.i == 0 or tok.i + 1 >= len(doc):
        return None
    prev = doc[tok.i - 1]
    if prev.lower_ in SPEECH_FORMS or prev.lower_ in BELIEF_FORMS:
        return None  # "X said: “…”" is the verb's
    nxt = tok.i + 1
    while nxt < len(doc) and doc[nxt].is_space:
        nxt += 1
    start = _line_start(doc, tok.i)
    label = doc[start : tok.i]
    speaker = any(t.ent_type_ == "PERSON" for t in label) or all(t.is_upper or t.is_punct for t in label)
    if (
        0 < len(label) <= 4
        and speaker
        and any(t.is_alpha and len(t) > 1 for t in label)
        and label.start > 0
        and not any(t.lower_ in LABEL_STOP for t in label)
        and "\n" not in doc[tok.i + 1].text
    ):
        end = nxt
        while (
            end < len(doc)
            and "\n" not in doc[end].text
            and not (end > nxt and doc[end].is_sent_start and end - nxt > 60)
        ):
            end += 1
        content = _trim(doc, nxt, end)
        if content is not None:
            return Cand(
                (tok.i, tok.i + 1),
                (start, tok.i),
                content,
                "colon_label",
                0.6,
                evidence=["speaker label before colon"],
                cue_head=tok.i,
            )
    if nxt not in quotes_by_start:
        return None
    source = None
    for t in doc[start : tok.i]:
        if t.dep_ in ("nsubj", "nsubjpass") and t.head.i < tok.i:
            source = _trim(doc, *_subtree(t), keep_quotes=False)
            break
    if source is None:
        source = _trim(doc, start, tok.i, keep_quotes=False)
    if (
        source is None
        or source[1] - source[0] > 12
        or not any(t.pos_ in ("PROPN", "NOUN", "PRON") for t in doc[source[0] : source[1]])
    ):
        return None
    return Cand(
        (tok.i, tok.i + 1),
        source,
        quotes_by_start[nxt],
        "colon",
        0.55,
        quote_kind="direct",
        evidence=["colon before quote"],
        cue_head=tok.i,
    )


def dash_quote(doc, tok, quotes_by_end: dict[int, Tok]) -> Cand | None:
    """“…” ― Name: a quotation signed after a dash."""
    if tok.text not in ("―", "—", "--") or tok.i + 1 >= len(doc):
        return None
    k = tok.i - 1
    while k >= 0 and doc[k].is_space:
        k -= 1
    if k < 0 or k + 1 not in quotes_by_end:
        return None
    end = tok.i + 1
    while end < len(doc) and end - tok.i <= 10 and "\n" not in doc[end].text and doc[end].text not in (",", ".", "“"):
        end += 1
    source = _trim(doc, tok.i + 1, end, keep_quotes=False)
    return Cand(
        (tok.i, tok.i + 1),
        source,
        quotes_by_end[k + 1],
        "dash",
        0.55,
        quote_kind="direct",
        evidence=["dash after quote"],
        cue_head=tok.i,
    )


def find_candidates(doc) -> tuple[list[Cand], list[Tok]]:
    """All rule candidates of a parsed doc, in text order, plus the direct quotes."""
    quotes = find_quotes(doc)
    quotes_by_start = {q[0]: q for q in quotes}
    quotes_by_end = {q[1]: q for q in quotes}
    cands: list[Cand] = []
    # only tokens that can start a rule: pick them from the LOWER / ORTH arrays, in text order
    arr = doc.to_array([LOWER, ORTH])
    hits = in_sorted(arr[:, 0], _TRIGGER_LOWERS) | in_sorted(arr[:, 1], _TRIGGER_ORTHS)
    for i in np.flatnonzero(hits).tolist():
        tok = doc[i]
        low = tok.lower_
        if low in SPEECH_FORMS or low in BELIEF_FORMS:
            c = verbal(doc, tok)
        elif low == "according":
            c = according_to(doc, tok)
        elif low in HEDGES:
            c = hedge(doc, tok)
        elif tok.text == ":":
            c = colon_quote(doc, tok, quotes_by_start)
        elif tok.text in ("―", "—", "--"):
            c = dash_quote(doc, tok, quotes_by_end)
        else:
            continue
        if c is not None:
            cands.append(c)
    return cands, quotes
