"""Source type and anonymity fields of a source mention, from entities, titles, head nouns and context."""

from __future__ import annotations

from dataclasses import dataclass

from .outlets import MEDIA_HEADS, OutletMatcher

PRONOUNS_PERSON = {"he", "she", "him", "her", "i", "me", "his", "hers"}
PRONOUNS_OTHER = {"they", "them", "we", "us", "it", "you", "who", "which", "that", "this", "these", "those"}
# generic heads of deliberately unnamed sources
ANON_GENERIC = {
    "official", "officials", "source", "sources", "person", "people", "individual", "individuals", "insider",
    "insiders", "member", "members", "figure", "figures", "operative", "operatives",
}  # fmt: skip
# heads that name a role: an unnamed holder of it is anonymous with specificity "role"
ANON_ROLE = {
    "aide", "aides", "adviser", "advisers", "advisor", "advisors", "diplomat", "diplomats", "officer", "officers",
    "staffer", "staffers", "employee", "employees", "lawyer", "lawyers", "attorney", "attorneys", "investigator",
    "investigators", "commander", "commanders", "lawmaker", "lawmakers", "legislator", "legislators", "strategist",
    "strategists", "donor", "donors", "negotiator", "negotiators", "agent", "agents", "executive", "executives",
    "analyst", "analysts", "spokesperson", "spokesman", "spokeswoman", "representative", "envoy", "minister",
    "ministers", "senator", "senators", "director", "manager", "worker", "workers", "soldier", "soldiers",
    "resident", "residents", "witness", "witnesses", "operative", "confidant", "confidants", "ally", "allies",
    "associate", "associates", "friend", "friends", "relative", "relatives", "doctor", "doctors", "researcher",
    "researchers", "expert", "experts", "economist", "economists", "republican", "republicans", "democrat",
    "democrats", "veteran", "veterans", "intelligence", "leader", "leaders",
}  # fmt: skip
UNSPECIFIED_HEADS = {
    "critic", "critics", "observer", "observers", "some", "many", "others", "skeptic", "skeptics", "supporter",
    "supporters", "opponent", "opponents", "detractor", "detractors", "everyone", "someone", "somebody", "nobody",
    "pundit", "pundits", "commentator", "commentators", "voter", "voters", "americans", "public", "rumor",
    "rumors", "speculation",
}  # fmt: skip
DOCUMENT_HEADS = {
    "filing", "filings", "document", "documents", "memo", "memos", "letter", "letters", "record", "records",
    "study", "studies", "survey", "surveys", "poll", "polls", "data", "analysis", "indictment", "complaint",
    "lawsuit", "ruling", "transcript", "transcripts", "email", "emails", "statement", "statements", "release",
    "figures", "statistics", "estimate", "estimates", "assessment", "budget", "bill", "law", "order", "report",
    "reports", "testimony", "affidavit", "paper", "papers", "research", "audit", "dossier", "tweet", "tweets",
    "post", "posts", "website", "guidelines", "platform", "forecast", "model", "numbers", "census", "index",
}  # fmt: skip
ORG_HEADS = {
    "ministry", "department", "agency", "company", "firm", "government", "administration", "office", "police",
    "army", "military", "campaign", "committee", "commission", "council", "court", "party", "group", "union",
    "embassy", "kremlin", "pentagon", "house", "parliament", "congress", "senate", "bank", "fund", "foundation",
    "institute", "university", "organization", "organisation", "team", "board", "spokesperson", "spokesman",
    "spokeswoman", "bureau", "service", "fbi", "cia", "state", "country", "coalition", "authorities",
    "prosecutors", "center", "centre", "corporation", "association", "network", "movement", "forces", "authority",
    "regulator", "watchdog", "operator", "club", "school", "hospital", "city", "county", "province", "municipality",
}  # fmt: skip
TITLES = {
    "president", "secretary", "minister", "senator", "governor", "nominee", "candidate", "mayor", "chairman",
    "chairwoman", "chair", "ceo", "judge", "justice", "speaker", "leader", "king", "queen", "pope", "chancellor",
    "premier", "prime", "vice", "congressman", "congresswoman", "representative", "ambassador", "director",
    "founder", "author", "actor", "actress", "singer", "star", "coach", "owner", "billionaire", "businessman",
    "businesswoman", "host", "commissioner", "general", "attorney", "sheriff", "chief",
}  # fmt: skip
GENERIC_PLURAL = {
    "experts",
    "analysts",
    "economists",
    "researchers",
    "observers",
    "scientists",
    "scholars",
    "historians",
    "strategists",
    "pollsters",
    "doctors",
    "lawyers",
    "residents",
    "voters",
    "workers",
}
ANON_MARKERS = {"unnamed", "anonymous", "unidentified"}
SENIOR = {"senior", "top", "high-ranking", "high-level", "highly-placed", "ranking", "chief"}
NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "a dozen": 12, "dozen": 12,
}  # fmt: skip
SEVERAL = {"several", "some", "multiple", "many", "various", "numerous", "few", "a few", "other", "more"}
JUSTIFICATION_WORDS = {
    "anonymity",
    "anonymously",
    "authorized",
    "authorised",
    "permitted",
    "allowed",
    "sensitivity",
    "sensitive",
    "condition",
    "private",
    "privately",
    "publicly",
    "reprisal",
    "retaliation",
    "named",
}
FAMILIAR = {"familiar", "knowledgeable", "close", "briefed", "involved", "aware", "privy"}
_SKIP_DESCRIPTOR = {
    "senior",
    "unnamed",
    "anonymous",
    "unidentified",
    "top",
    "high",
    "ranking",
    "former",
    "current",
    "other",
    "another",
    "one",
    "two",
    "three",
    "several",
    "some",
    "many",
    "a",
    "an",
    "the",
    "-",
    "high-ranking",
    "high-level",
    "level",
    "multiple",
    "few",
    "second",
    "third",
    "additional",
}


def _person_words(doc) -> set[str]:
    """Words of the article's PERSON entities ("Donald Trump" -> {"Donald", "Trump"}), cached on the doc."""
    cached = doc.user_data.get("_prepass_person_words")
    if cached is None:
        cached = {t.text for e in doc.ents if e.label_ == "PERSON" for t in e if t.is_title or t.is_upper}
        doc.user_data["_prepass_person_words"] = cached
    return cached


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


def _justification(span) -> tuple[int, int] | None:
    """The relative or participial clause inside the source span that says why anonymity was granted."""
    best = None
    for deps in (("relcl",), ("acl",), ("advcl",)):
        for tok in span:
            if tok.dep_ in deps and tok.i > span.root.i - 1:
                sub = list(tok.subtree)
                if any(t.lower_ in JUSTIFICATION_WORDS for t in sub) and (best is None or len(sub) < len(best)):
                    best = sub
        if best is not None:
            break
    if best is None:
        return None
    first, last = best[0], best[-1]
    # "who", "speaking" etc. are in the subtree; extend back over a relative pronoun
    while (
        first.i > span.start
        and span.doc[first.i - 1].dep_ in ("nsubj", "nsubjpass")
        and span.doc[first.i - 1].lower_ in ("who", "that")
    ):
        first = span.doc[first.i - 1]
    return first.idx, last.idx + len(last)


def anonymity_fields(span, head=None) -> dict:
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
            if pobjs and not descriptors:
                p = pobjs[0]
                descriptors.extend(t.text for t in p.subtree if t.dep_ not in ("det", "punct") and t.i <= p.i)
    descriptor = " ".join(descriptors).strip()
    senior = any(t.lower_ in SENIOR for t in span)
    if head.lower_ in ANON_ROLE:
        specificity = "role"
    elif descriptor or any(t.lower_ in FAMILIAR for t in span):
        specificity = "affiliated"
    else:
        specificity = "bare"
    return {
        "descriptor": descriptor,
        "seniority": "senior" if senior else "none",
        "number": _number(span, head),
        "justification": _justification(span),
        "specificity": specificity,
    }


def classify_source(span, outlets: OutletMatcher, *, cue_text: str = "") -> SourceInfo:
    """source_type of a source mention (a spaCy Span) with a confidence and the evidence used."""
    head = _head(span)
    text = span.text
    low = head.lower_
    ents = {t.ent_type_ for t in span if t.ent_type_}
    has_person = "PERSON" in ents or any(t.ent_type_ == "PERSON" for t in span)
    outlet = outlets.canonical(text) or outlets.find(text)
    proper_head = head.pos_ == "PROPN" or head.tag_ in ("NNP", "NNPS")
    anon_marked = any(t.lower_ in ANON_MARKERS for t in span)
    familiar = any(t.lower_ in FAMILIAR for t in span) and low in {"people", "person", "sources", "source"}

    if low in PRONOUNS_PERSON:
        return SourceInfo("named_person", 0.7, "pronoun")
    if proper_head and head.text in _person_words(span.doc):
        return SourceInfo("named_person", 0.85, "name of a PERSON entity of the article")
    if span[0].lower_ == "the" and head.tag_ == "NN" and low in TITLES and not anon_marked:
        return SourceInfo("named_person", 0.6, "title of an identified person")
    if (
        has_person
        and not anon_marked
        and head.ent_type_ in ("PERSON", "")
        and (head.ent_type_ == "PERSON" or proper_head or low in ANON_ROLE)
    ):
        return SourceInfo("named_person", 0.9, "PERSON entity")
    if outlet and (outlets.canonical(text) or low in MEDIA_HEADS or (head.ent_type_ in ("ORG", "") and proper_head)):
        return SourceInfo("media", 0.9, f"outlet {outlet}")
    if outlet and low in MEDIA_HEADS:
        return SourceInfo("media", 0.85, f"report from outlet {outlet}")
    if anon_marked or familiar or (low in ANON_GENERIC and not proper_head):
        return SourceInfo("anonymous", 0.85, "anonymous head noun", anonymity_fields(span, head))
    modifiers = [t for t in span if t.i < head.i and t.dep_ in ("amod", "compound", "nmod") and t.lower_ not in SEVERAL]
    if low in UNSPECIFIED_HEADS or (
        low in GENERIC_PLURAL and not modifiers and not any(c.dep_ in ("prep", "relcl", "acl") for c in head.children)
    ):
        return SourceInfo("unspecified", 0.6, "generic plural")
    if low in ANON_ROLE and not proper_head and not has_person:
        if span[0].lower_ in ("the",) and head.tag_ == "NN" and low in {"spokesperson", "spokesman", "spokeswoman"}:
            return SourceInfo("named_organization", 0.55, "institutional spokesperson")
        return SourceInfo("anonymous", 0.6, "unnamed role holder", anonymity_fields(span, head))
    if low in DOCUMENT_HEADS and not proper_head:
        return SourceInfo("document", 0.7, "document head noun")
    if low in MEDIA_HEADS and not proper_head:
        return SourceInfo("media", 0.5, "media head noun")
    if low in PRONOUNS_OTHER:
        return SourceInfo("named_organization" if low == "it" else "unspecified", 0.4, "pronoun")
    if head.ent_type_ in ("ORG", "NORP", "GPE", "FAC") or ents & {"ORG", "GPE", "NORP"} or low in ORG_HEADS:
        return SourceInfo("named_organization", 0.75, "organisation entity or head")
    if proper_head:
        return SourceInfo("named_person", 0.6, "proper noun")
    return SourceInfo("unspecified", 0.35, "no evidence")
