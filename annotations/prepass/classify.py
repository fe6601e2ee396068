"""Source type and anonymity fields of a source mention, from entities, titles, head nouns and context."""

from __future__ import annotations

from dataclasses import dataclass

from .lexicon import (
    _SKIP_DESCRIPTOR,
    ANON_GENERIC,
    ANON_MARKERS,
    ANON_ROLE,
    DOCUMENT_HEADS,
    FAMILIAR,
    GENERIC_PLURAL,
    NUMBER_WORDS,
    OFFICES,
    ORG_HEADS,
    ORG_STATEMENTS,
    PERSON_HEADS,
    PRONOUNS_OTHER,
    PRONOUNS_PERSON,
    REPORT_VERBS,
    SENIOR,
    SEVERAL,
    SPEAKING_FOR,
    SPOKES_HEADS,
    STATEMENT_HEADS,
    TITLES,
    UNSPECIFIED_HEADS,
)
from .names import is_proper, name_index
from .outlets import MEDIA_HEADS, OutletMatcher


@dataclass
class SourceInfo:
    source_type: str
    confidence: float
    evidence: str
    anonymity: dict | None = None


def _head(span):
    root = span.root
    # "a spokesman for the ministry", "one of the officials": prefer the pobj of "of"
    if root.lower_ in {"one", "some", "many", "several", "two", "three", "most", "all", "none"}:
        for child in root.children:
            if child.dep_ == "prep" and child.lower_ == "of":
                for pobj in child.children:
                    if pobj.dep_ == "pobj" and pobj.i < span.end:
                        return pobj
    return root


def _number(span, head) -> str:
    for tok in span:
        if tok.i > head.i:
            break
        if tok.like_num and tok.dep_ in ("nummod", "quantmod", "nsubj", "ROOT", "compound", "amod") and tok.i < head.i:
            if tok.text.isdigit():
                return tok.text
            if tok.lower_ in NUMBER_WORDS:
                return str(NUMBER_WORDS[tok.lower_])
        if tok.lower_ in NUMBER_WORDS and tok.i < head.i:
            return str(NUMBER_WORDS[tok.lower_])
    if span.root.lower_ in NUMBER_WORDS:
        return str(NUMBER_WORDS[span.root.lower_])
    if any(t.lower_ in SEVERAL for t in span if t.i < head.i) or head.tag_ in ("NNS", "NNPS"):
        return "several"
    if head.lower_ in {"people", "sources", "officials"}:
        return "several"
    return "one"


_NEGATORS = {"not", "n't", "never", "declined", "refused", "without", "asked", "requested", "no"}
_GRANT_WORDS = {"anonymity", "anonymously", "reprisal", "reprisals", "retaliation", "sensitivity", "sensitive"}
_CONDITIONAL = {"named", "identified", "authorized", "authorised", "permitted", "allowed", "publicly"}


def is_justification(tokens) -> bool:
    """Does this stretch of text say why a source was granted anonymity?"""
    toks = list(tokens)
    for k, t in enumerate(toks):
        low = t.lower_
        if low in _GRANT_WORDS:
            return True
        if low == "condition" and any(x.lower_ == "anonymity" for x in toks[k : k + 4]):
            return True
        if low in _CONDITIONAL and any(x.lower_ in _NEGATORS for x in toks[max(0, k - 4) : k]):
            return True
        if low in ("private", "privately") and any(x.lower_ in ("speak", "spoke", "speaking", "discuss") for x in toks):
            return True
    return False


def _clause(tok, stop: int | None = None):
    """The subtree of ``tok`` (a relative or participial clause), cut before ``stop``."""
    sub = [t for t in tok.subtree if stop is None or t.i < stop]
    return sub


def justification(span, cue_head=None) -> tuple[int, int] | None:
    """The clause that says why anonymity was granted: inside the source span ("officials who were not
    authorized to speak"), hanging from the source's head outside it ("a source, who asked not to be
    named, said"), or from the cue verb ("said the official, speaking on condition of anonymity")."""
    doc = span.doc
    head = _head(span)
    found = []  # (priority, clause): a relative clause before a participle before an adverbial clause
    priority = {"relcl": 0, "acl": 1, "appos": 2, "advcl": 3}
    for tok in span:
        if tok.dep_ in ("relcl", "acl", "advcl") and tok.i > span.root.i - 1:
            found.append((priority[tok.dep_], _clause(tok)))
    for child in head.children:
        if child.i >= span.end and child.dep_ in priority:
            stop = cue_head.i if cue_head is not None and cue_head.i > child.i else None
            found.append((priority[child.dep_], _clause(child, stop)))
    if cue_head is not None:
        for child in cue_head.children:
            if child.dep_ in ("advcl", "acl", "relcl", "xcomp", "prep") and not (span.start <= child.i < span.end):
                found.append((4, _clause(child)))
    hits = [(p, len(sub), sub) for p, sub in found if sub and is_justification(sub)]
    if not hits:
        return None
    best = min(hits, key=lambda h: (h[0], h[1]))[2]
    first, last = best[0], best[-1]
    # "who", "speaking" etc. are in the subtree; extend back over a relative pronoun
    while (
        first.i > span.start
        and doc[first.i - 1].dep_ in ("nsubj", "nsubjpass")
        and doc[first.i - 1].lower_ in ("who", "that")
    ):
        first = doc[first.i - 1]
    while last.i > first.i and (last.is_punct or last.is_space):
        last = doc[last.i - 1]
    return first.idx, last.idx + len(last)


def anonymity_fields(span, head=None, cue_head=None) -> dict:
    head = head or _head(span)
    descriptors = []
    for tok in span:
        if tok.i >= head.i:
            break
        if tok.dep_ in ("det", "nummod", "punct", "cc", "case", "poss") or tok.lower_ in _SKIP_DESCRIPTOR:
            continue
        if tok.is_stop or tok.like_num or tok.lower_ in SENIOR or tok.lower_ in ANON_MARKERS:
            continue
        descriptors.append(tok.text)
    # "officials in the administration", "a source at the Pentagon", "an official with the ministry"
    for child in head.children:
        if child.dep_ == "prep" and child.lower_ in {"in", "at", "with", "from", "for", "inside", "within"}:
            pobjs = [c for c in child.children if c.dep_ == "pobj"]
            if pobjs and not descriptors and pobjs[0].lower_ not in ("knowledge", "matter", "talks"):
                p = pobjs[0]
                descriptors.extend(t.text for t in p.subtree if t.dep_ not in ("det", "punct") and t.i <= p.i)
    descriptor = " ".join(descriptors).strip()
    senior = any(t.lower_ in SENIOR for t in span)
    if head.lower_ in ANON_ROLE or (head.lower_ in PERSON_HEADS and head.lower_ not in _BARE_PERSON):
        specificity = "role"
    elif descriptor or any(t.lower_ in FAMILIAR for t in span):
        specificity = "affiliated"
    else:
        specificity = "bare"
    return {
        "descriptor": descriptor,
        "seniority": "senior" if senior else "none",
        "number": _number(span, head),
        "justification": justification(span, cue_head),
        "specificity": specificity,
    }


_BARE_PERSON = {"someone", "somebody", "man", "woman", "men", "women", "person", "people"}
_MEDIUM_PREPS = {"in", "on", "through", "via"}


def medium(cue_head) -> str:
    """What a source spoke through, from the cue verb: "said in a statement" -> "statement",
    "said in its annual report" -> "document", else ""."""
    if cue_head is None:
        return ""
    for child in cue_head.children:
        if child.dep_ == "prep" and child.lower_ in _MEDIUM_PREPS:
            for pobj in child.children:
                if pobj.dep_ == "pobj":
                    if pobj.lower_ in STATEMENT_HEADS:
                        return "statement"
                    if pobj.lower_ in DOCUMENT_HEADS:
                        return "document"
    return ""


def _owner(span, head):
    """The tokens of who stands behind a statement or an official: "a statement from UW", "UW's statement",
    "a Northwind Air spokesperson", "officials at Coastal Gas"; None when unnamed."""
    doc = span.doc
    for child in head.children:
        if child.dep_ == "poss" and child.lower_ not in ("its", "their", "his", "her", "our", "my", "your"):
            return doc[child.left_edge.i : child.i + 1]
        if child.dep_ == "prep" and child.lower_ in ("from", "by", "for", "at", "of", "with"):
            pobjs = [c for c in child.children if c.dep_ == "pobj"]
            if pobjs and (is_proper(pobjs[0]) or pobjs[0].ent_type_ in ("ORG", "GPE", "NORP")):
                return doc[pobjs[0].left_edge.i : pobjs[0].i + 1]
    mods = [t for t in span if t.i < head.i and t.dep_ in ("compound", "nmod", "amod", "poss") and is_proper(t)]
    if mods:
        return doc[mods[0].i : mods[-1].i + 1]
    return None


def _named_earlier(span, head) -> bool:
    """Has the article named a person with this role before ("Jim Baker, a consultant" / "consultant Jim Baker")?"""
    doc = span.doc
    for tok in doc[: span.start]:
        if tok.lower_ != head.lower_:
            continue
        if tok.dep_ == "appos" and is_proper(tok.head):
            return True
        if any(c.dep_ in ("appos", "compound") and is_proper(c) for c in tok.children):
            return True
        if tok.dep_ == "compound" and is_proper(tok.head):
            return True
    return False


def _conjuncts(span):
    head = span.root
    return [head, *[t for t in head.conjuncts if span.start <= t.i < span.end]]


def _name_type(span, head, outlets: OutletMatcher, cue_head) -> SourceInfo | None:
    """A proper-name source: media when an outlet, else person or organisation by the article's evidence."""
    doc = span.doc
    names = name_index(doc)
    for tok in _conjuncts(span):
        run = names.run_at.get(tok.i)
        if run is not None and (
            outlets.canonical(doc[run[0] : run[1]].text) or outlets.find(doc[run[0] : run[1]].text)
        ):
            return SourceInfo(
                "media", 0.9, f"outlet {outlets.find(doc[run[0] : run[1]].text) or doc[run[0] : run[1]].text}"
            )
    run = names.run_at.get(head.i)
    if run is None:
        return None
    # "the Currys": a family, when the singular is a person's name in the article
    if (
        head.tag_ == "NNPS"
        and head.lower_.endswith("s")
        and span[0].lower_ == "the"
        and any(head.text[:-1] in key for key in names.votes if key and names.kind_of(key) == "person")
    ):
        return SourceInfo("named_person", 0.7, "family name")
    kind, evidence = names.kind(*run)
    if kind == "person":
        return SourceInfo("named_person", 0.85, evidence)
    if kind == "org" and cue_head is not None and cue_head.lower_ in REPORT_VERBS and not names.has_org_form(*run):
        return SourceInfo("media", 0.6, f"{evidence}; a name that reports")
    if kind == "org":
        return SourceInfo("named_organization", 0.8, evidence)
    if cue_head is not None and cue_head.lower_ in REPORT_VERBS:
        return SourceInfo("media", 0.55, f"{evidence}; an unknown name that reports")
    if medium(cue_head) == "statement":
        return SourceInfo("named_organization", 0.6, f"{evidence}; speaks through a statement")
    return SourceInfo("named_person", 0.6, f"{evidence}; proper noun")


def classify_source(span, outlets: OutletMatcher, *, cue_head=None) -> SourceInfo:
    """source_type of a source mention (a spaCy Span) with a confidence and the evidence used."""
    info = _classify(span, outlets, cue_head)
    through = medium(cue_head)
    if through == "document" and info.source_type in ("named_organization", "media", "unspecified"):
        return SourceInfo("document", 0.7, f"{info.evidence}; through a document")
    if (
        through == "statement"
        and info.source_type == "anonymous"
        and info.anonymity
        and not info.anonymity.get("justification")
        and _owner(span, _head(span)) is not None
    ):
        return SourceInfo("named_organization", 0.7, "official of a named organisation, in a statement")
    return info


def _classify(span, outlets: OutletMatcher, cue_head) -> SourceInfo:
    head = _head(span)
    text = span.text
    low = head.lower_
    proper_head = is_proper(head)
    anon_marked = any(t.lower_ in ANON_MARKERS for t in span)
    familiar = any(t.lower_ in FAMILIAR for t in span) and low in {"people", "person", "sources", "source"}
    knowledge = any(t.lower_ == "knowledge" for t in span) and low in {"people", "person", "sources", "source"}
    justified = justification(span, cue_head) is not None

    if low in PRONOUNS_PERSON:
        return SourceInfo("named_person", 0.7, "pronoun")
    if not proper_head:  # "his friend Clark", "UC's top academic officer, Katherine Newman"
        named = [
            t for t in head.children if t.dep_ in ("appos", "compound", "npadvmod") and t.i > head.i and is_proper(t)
        ]
        named = [t for t in named if t.i < span.end]
        if named:
            info = _name_type(span.doc[named[0].left_edge.i : named[0].i + 1], named[0], outlets, cue_head)
            if info is not None:
                return info
    if anon_marked or familiar or knowledge or (justified and not proper_head):
        return SourceInfo("anonymous", 0.9, "anonymity stated", anonymity_fields(span, head, cue_head))
    outlet = outlets.canonical(text) or outlets.find(text)
    if outlet and (outlets.canonical(text) or low in MEDIA_HEADS):
        return SourceInfo("media", 0.9, f"outlet {outlet}")
    if low in SPOKES_HEADS or (low == "office" and any(t.lower_ == "press" for t in span)):
        return SourceInfo("named_organization", 0.75, "spokesperson speaking for an organisation")
    if low in STATEMENT_HEADS and not proper_head:
        owner = _owner(span, head)
        if owner is not None and is_proper(owner.root):
            sub = _name_type(owner, owner.root, outlets, None)
            if sub is not None and sub.source_type == "named_person":
                return SourceInfo("named_person", 0.7, "statement of a person")
            return SourceInfo("named_organization", 0.7, "statement of a named organisation")
        if head.tag_ == "NNS" or low not in ORG_STATEMENTS:
            return SourceInfo("unspecified", 0.45, "statements with no one behind them")
        return SourceInfo("named_organization", 0.6, "statement of an organisation")
    counted = any(t.like_num or t.lower_ in SENIOR or t.lower_ in SEVERAL for t in span if t.i < head.i)
    if low in SPEAKING_FOR and not counted and _owner(span, head) is not None:
        return SourceInfo("named_organization", 0.65, "officials speaking for a named organisation")
    if low in DOCUMENT_HEADS and not proper_head:
        return SourceInfo("document", 0.75, "document head noun")
    if proper_head:
        info = _name_type(span, head, outlets, cue_head)
        if info is not None:
            return info
    if outlet:
        return SourceInfo("media", 0.8, f"report from outlet {outlet}")
    if low in ANON_GENERIC:
        return SourceInfo("anonymous", 0.8, "anonymous head noun", anonymity_fields(span, head, cue_head))
    modifiers = [t for t in span if t.i < head.i and t.dep_ in ("amod", "compound", "nmod") and t.lower_ not in SEVERAL]
    determiners = {t.lower_ for t in span if t.i < head.i and t.dep_ in ("det", "nummod", "poss")}
    counted = any(t.like_num or t.lower_ in SEVERAL for t in span if t.i < head.i)
    if counted and (low in GENERIC_PLURAL or low in PERSON_HEADS or low in ANON_ROLE):
        return SourceInfo("anonymous", 0.6, "a counted group of unnamed people", anonymity_fields(span, head, cue_head))
    if low in ("another", "one") and len(span) == 1:
        return SourceInfo("anonymous", 0.5, "one more of an unnamed group", anonymity_fields(span, head, cue_head))
    if low in UNSPECIFIED_HEADS or (
        low in GENERIC_PLURAL and not modifiers and not any(c.dep_ in ("prep", "relcl", "acl") for c in head.children)
    ):
        return SourceInfo("unspecified", 0.6, "generic plural")
    if (
        head.tag_ == "NNS"
        and not determiners
        and low not in ANON_ROLE
        and (low not in ORG_HEADS or low == "authorities")
        and _owner(span, head) is None
    ):
        return SourceInfo("unspecified", 0.5, "bare plural: an unnamed group")
    if span[0].lower_ == "the" and head.tag_ == "NN" and (low in PERSON_HEADS or low in ANON_ROLE or low in TITLES):
        # "the researcher added": someone the article has named with that role ("Jim Baker, a researcher")
        if _named_earlier(span, head):
            return SourceInfo("named_person", 0.7, "role of a person named earlier")
        if low in OFFICES:
            return SourceInfo("named_person", 0.6, "holder of an identified office")
    if (low in ANON_ROLE or low in PERSON_HEADS) and not proper_head:
        return SourceInfo("anonymous", 0.6, "unnamed person", anonymity_fields(span, head, cue_head))
    if low in MEDIA_HEADS:
        return SourceInfo("media", 0.5, "media head noun")
    if low in PRONOUNS_OTHER:
        return SourceInfo("named_organization" if low == "it" else "unspecified", 0.4, "pronoun")
    ents = {t.ent_type_ for t in span if t.ent_type_}
    if head.ent_type_ in ("ORG", "NORP", "GPE", "FAC") or ents & {"ORG", "GPE", "NORP"} or low in ORG_HEADS:
        return SourceInfo("named_organization", 0.7, "organisation entity or head")
    if "PERSON" in ents:
        return SourceInfo("named_person", 0.7, "PERSON entity")
    if determiners & {"a", "an", "one", "another"} and head.tag_ == "NN":
        return SourceInfo("anonymous", 0.4, "an unnamed someone", anonymity_fields(span, head, cue_head))
    return SourceInfo("unspecified", 0.35, "no evidence")
