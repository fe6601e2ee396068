"""Relayed and nested sourcing: the outer attribution (usually another outlet) and the inner one it relays.

- "X, which cited / citing Y": the cue "cited" makes Y a source of its own (the inner attribution), with
  the content of X's report, ``via`` X; X keeps its own attribution.
- "Y told X" with X an outlet: Y's attribution goes ``via`` X, and X gets a ``media`` attribution of its
  own for the same statement (the desk's reader got it second-hand from X).
- "according to X, Y said", "X reported that Y said", "'Y said Z,' X reported": the inner cue lies inside
  the outer content; when the outer source is an outlet, the rules' reading of the inner verb of saying is
  kept even where the trained tagger saw only the outer one, and ``via`` comes from the outer attribution
  (``link.finish``). Other nested rule readings are left out: on PolNeAR dev they cost 0.03 cue F1.
"""

from __future__ import annotations

from .classify import classify_source
from .lexicon import (
    ANON_GENERIC,
    ANON_ROLE,
    DOCUMENT_HEADS,
    GENERIC_PLURAL,
    OFFICES,
    ORG_HEADS,
    PERSON_HEADS,
    SPEAKING_FOR,
    SPEECH_FORMS,
    SPOKES_HEADS,
    STATEMENT_HEADS,
    UNSPECIFIED_HEADS,
    _forms,
)
from .outlets import OutletMatcher
from .rules import Cand, Tok, _trim
from .tagged import overlap as _overlap

FLAGGED = {"anonymous", "document", "media"}
# the verbs of reporting a flagged rule attribution must use (not "indicate", "ask", "continue" …)
CORE_FORMS = {
    f
    for lemma in ("say", "tell", "report", "show", "find", "confirm", "add", "write", "state", "announce", "warn")
    for f in _forms(lemma)
}
CITE_FORMS = {"cite", "cites", "cited", "citing", "quote", "quotes", "quoted", "quoting"}
# common nouns that can be cited as a source: people, bodies, documents ("citing her work", "citing the
# release of prisoners", "citing a conspiracy theory" cite reasons, not sources)
SOURCE_NOUNS = (
    (ANON_GENERIC | ANON_ROLE | DOCUMENT_HEADS | GENERIC_PLURAL | OFFICES | ORG_HEADS | PERSON_HEADS | SPEAKING_FOR)
    | SPOKES_HEADS
    | UNSPECIFIED_HEADS
    | STATEMENT_HEADS
)


def _citable(obj) -> bool:
    """Whether the object of a cite verb can be a source: a name, a pronoun, a number ("two officials" parses
    so), or a common noun of a person, body or document; a statement "of" something is an event."""
    if obj.pos_ in ("PROPN", "PRON", "NUM"):
        return True
    if obj.pos_ != "NOUN" or obj.lower_ not in SOURCE_NOUNS:
        return False
    return not (obj.lower_ in STATEMENT_HEADS and any(c.dep_ == "prep" and c.lower_ == "of" for c in obj.children))


def _inside(a: Tok | None, b: Tok | None) -> bool:
    return a is not None and b is not None and b[0] <= a[0] and a[1] <= b[1]


def _relays(doc, outer: Cand, inner: Cand, outlets: OutletMatcher) -> bool:
    """Is ``inner`` said inside the content of ``outer``, an outlet's report?"""
    if outer.content is None or outer.source is None:
        return False
    if not (_inside(inner.cue, outer.content) and _inside(inner.source, outer.content)):
        return False
    head = doc[outer.cue_head] if outer.cue_head is not None else None
    return classify_source(doc[outer.source[0] : outer.source[1]], outlets, cue_head=head).source_type == "media"


def extra_rule_candidates(doc, cands: list[Cand], rule_cands: list[Cand], outlets: OutletMatcher) -> list[Cand]:
    """Rule attributions to keep beside the tagger's: a verb of saying relayed inside an outlet's report.
    A verb of reporting ("said", "told", "show", "reported") whose source is anonymous, a document or an outlet,
    outside every other attribution's content: the sources an editor most needs flagged, which the tagger
    (trained on named politicians) misses. Never one whose cue overlaps a kept cue."""
    extra: list[Cand] = []
    for rc in rule_cands:
        if rc.kind != "verbal" or rc.cue is None or rc.source is None:
            continue
        if any(_overlap(rc.cue, c.cue) for c in cands) or any(_overlap(rc.cue, c.cue) for c in extra):
            continue
        if doc[rc.source[0] : rc.source[1]].root.lower_ in ("which", "that", "who", "it", "there", "this"):
            continue
        head = doc[rc.cue_head] if rc.cue_head is not None else None
        if head is None or head.lower_ not in SPEECH_FORMS:
            continue  # verbs of believing: the tagger's call
        if SPEECH_FORMS[head.lower_] == "call" and not any(c.lower_ in ("for", "on") for c in head.children):
            continue  # "what they called a comeback": naming, not saying ("called for", "called on": saying)
        if any(_relays(doc, c, rc, outlets) for c in cands):
            rc.evidence.append("rule attribution relayed inside an outlet's report")
            extra.append(rc)
        elif head.lower_ in CORE_FORMS and not any(c.content is not None and _inside(rc.cue, c.content) for c in cands):
            info = classify_source(doc[rc.source[0] : rc.source[1]], outlets, cue_head=head)
            if info.source_type in FLAGGED and info.confidence >= 0.6:
                rc.evidence.append("rule attribution: an anonymous, document or outlet source")
                extra.append(rc)
    return extra


def split_citations(doc, out: list[Cand]) -> None:
    """ "X, which cited Y", "X, citing Y, reported Z", "X reported Z, citing Y": the object of the cite verb is
    an inner source of its own, with the content of X's attribution; the cite attribution the tagger or the
    rules may have made (X cited Y) is replaced by it."""
    for outer in list(out):
        if outer.source is None or outer.content is None or outer.cue_head is None:
            continue
        verb = doc[outer.cue_head]
        cites = [c for c in verb.children if c.lower_ in CITE_FORMS and c.dep_ in ("advcl", "xcomp", "conj", "acl")]
        src_root = doc[outer.source[0] : outer.source[1]].root
        cites += [c for c in src_root.subtree if c.lower_ in CITE_FORMS and c.dep_ in ("relcl", "acl", "appos")]
        for cite in cites:
            objs = [c for c in cite.children if c.dep_ in ("dobj", "pobj", "attr")]
            if not objs or not _citable(objs[0]):
                continue  # "citing concerns about …", "citing her work": a reason, not a source
            cited = _trim(doc, objs[0].left_edge.i, objs[0].right_edge.i + 1, keep_quotes=False)
            cue = (cite.i, cite.i + 1)
            if cited is None or _overlap(cited, outer.content):
                continue
            out[:] = [o for o in out if o is outer or not (o.cue is not None and _overlap(o.cue, cue))]
            inner = Cand(
                cue, cited, outer.content, "relay_inner", outer.confidence, evidence=["source cited by another"]
            )
            inner.cue_head, inner.relayed_by, inner.quote_kind = cite.i, outer, outer.quote_kind
            out.append(inner)


def outer_for_told(doc, out: list[Cand], via_spans: dict[int, Tok], outlets: OutletMatcher) -> None:
    """ "Y told X" with X an outlet: X's own ``media`` attribution for the same statement."""
    for c in list(out):
        span = via_spans.get(id(c))
        if span is None or c.source_type == "media":
            continue
        written = doc[span[0] : span[1]]
        name = outlets.find(written.text)
        if not name or written.root.pos_ != "PROPN" or len(name) < 0.6 * len(written.text):
            continue  # only a plain outlet name ("told the Ledger"), not "a meeting with the Ledger's board"
        if any(o is not c and o.source is not None and _overlap(o.source, span) for o in out):
            continue
        outer = Cand(c.cue, span, c.content, "relay_outer", round(c.confidence * 0.9, 3), evidence=["outlet told"])
        outer.cue_head = c.cue_head
        outer.source_type = "media"
        outer.quote_kind = c.quote_kind
        outer.evidence.append("type: outlet the source spoke to")
        out.append(outer)
