"""Is a proper name a person or an organisation? Evidence from the article itself, not from a list of names.

Every run of proper nouns in the article is one mention of a name. A name collects votes from all of its
mentions: the small model's entity labels, titles before it ("Rep.", "Port Director"), corporate and
agency words at its end ("Labs", "Patrol", "Gas", "Department"), acronyms, a leading "the", appositions
("X, a utility", "X, a researcher"), the possessive that follows it ("its" / "his", "her"), and the
statement it speaks through ("said in a statement"). A bare surname takes the votes of the full names it
ends ("Ortiz" -> "Lena Ortiz"). Built once per doc and cached in ``doc.user_data``.
"""

from __future__ import annotations

from collections import Counter

# words that end the names of companies, agencies and other bodies ("Vantage Labs", "Harbor Patrol")
ORG_SUFFIXES = {
    "inc", "corp", "corporation", "co", "llc", "ltd", "plc", "gmbh", "ag", "sa", "group", "labs", "lab",
    "gas", "air", "airlines", "airways", "bank", "patrol", "department", "agency", "authority", "council",
    "commission", "committee", "institute", "university", "college", "school", "association", "foundation",
    "union", "party", "police", "service", "services", "office", "ministry", "board", "court", "partners",
    "capital", "holdings", "energy", "power", "water", "electric", "motors", "systems", "technologies",
    "health", "hospital", "center", "centre", "network", "club", "team", "church", "lines", "railways",
    "transit", "utilities", "industries", "pharmaceuticals", "therapeutics", "insurance", "research",
    "trust", "fund", "alliance", "coalition", "society", "federation", "league", "guard", "army", "navy",
    "force", "forces", "administration", "bureau", "commissioners", "legislature", "assembly", "senate",
    "house", "congress", "parliament", "cabinet", "government", "district", "county", "city", "state",
    "republic", "kingdom", "initiative", "project", "campaign", "caucus", "institution", "laboratory",
    "laboratories", "solutions", "consulting", "media", "press", "news", "studios", "entertainment",
    "records", "foods", "brands", "stores", "markets", "exchange", "reserve", "treasury", "corps",
    "squad", "unit", "division", "directorate", "secretariat", "observatory", "museum", "library",
    "clinic", "institutes", "watch", "agencies", "ministries", "departments", "co.", "inc.", "corp.",
    "ltd.", "l.l.c.", "company", "companies", "firm", "authorities", "prosecutors", "regulators",
}  # fmt: skip
# titles and honorifics before a person's name
PERSON_TITLES = {
    "mr", "mr.", "ms", "ms.", "mrs", "mrs.", "dr", "dr.", "rep", "rep.", "sen", "sen.", "gov", "gov.", "lt",
    "lt.", "gen", "gen.", "sgt", "sgt.", "prof", "prof.", "rev", "rev.", "president", "secretary", "minister",
    "senator", "governor", "mayor", "chairman", "chairwoman", "chair", "ceo", "judge", "justice", "speaker",
    "director", "chief", "commissioner", "councillor", "councilor", "councilman", "councilwoman",
    "inspector", "superintendent", "sheriff", "officer", "detective", "captain", "professor", "coach",
    "ambassador", "congressman", "congresswoman", "representative", "assemblymember", "assemblyman",
    "assemblywoman", "attorney", "general", "deputy", "vice", "king", "queen", "prince", "princess",
    "pope", "bishop", "father", "sister", "brother", "lord", "lady", "sir", "dame", "premier",
    "chancellor", "leader", "founder", "president-elect", "nominee", "candidate", "trustee", "dean",
}  # fmt: skip
# common nouns that say "this is a person" in an apposition ("X, a researcher at …")
PERSON_NOUNS = {
    "spokesperson", "spokesman", "spokeswoman", "researcher", "professor", "resident", "consultant",
    "lawyer", "attorney", "analyst", "economist", "expert", "director", "manager", "founder", "owner",
    "executive", "official", "officer", "teacher", "student", "mother", "father", "son", "daughter", "wife",
    "husband", "brother", "sister", "friend", "neighbor", "neighbour", "member", "candidate", "nominee",
    "activist", "advocate", "organizer", "organiser", "scientist", "doctor", "nurse", "engineer", "worker",
    "chairman", "chairwoman", "chair", "president", "secretary", "minister", "senator", "governor", "mayor",
    "leader", "head", "chief", "partner", "author", "writer", "journalist", "reporter", "editor", "player",
    "coach", "fan", "voter", "veteran", "farmer", "fisherman", "driver", "pilot", "landlord", "tenant",
    "republican", "democrat", "historian", "scholar", "commissioner", "councillor", "councilor",
    "representative", "lawmaker", "legislator", "judge", "superintendent", "principal", "pastor", "priest",
    "rabbi", "imam", "artist", "musician", "singer", "actor", "actress", "athlete", "chef", "parent",
}  # fmt: skip
# common nouns that say "this is an organisation" ("X, a utility", "the company, X")
ORG_NOUNS = {
    "company", "firm", "utility", "startup", "start-up", "nonprofit", "non-profit", "charity", "agency",
    "group", "organization", "organisation", "association", "union", "department", "ministry", "office",
    "airline", "carrier", "bank", "lender", "insurer", "retailer", "manufacturer", "developer", "operator",
    "provider", "maker", "chain", "publisher", "network", "broadcaster", "newspaper", "outlet", "magazine",
    "website", "site", "institute", "university", "college", "school", "district", "hospital", "foundation",
    "fund", "coalition", "campaign", "committee", "commission", "council", "board", "court", "party",
    "government", "administration", "authority", "regulator", "watchdog", "service", "team", "club",
    "league", "body", "unit", "subsidiary", "conglomerate", "giant", "brand", "platform", "app", "city",
    "county", "state", "lab", "laboratory", "think", "tank", "caucus", "corporation", "business",
}  # fmt: skip
_PROPER_TAGS = {"NNP", "NNPS"}
_ORG_ENTS = {"ORG", "FAC", "GPE", "NORP"}
_LINKERS = {"of", "&", "and", "for", "de", "-"}


def _is_title(tok) -> bool:
    return tok.lower_ in PERSON_TITLES or tok.lower_.rstrip(".") in PERSON_TITLES


def is_proper(tok) -> bool:
    """A proper noun by tag, or a capitalised word inside a sentence that the small model tagged as common, or
    a capitalised singular subject with no determiner ("Yakel said")."""
    if tok.tag_ in _PROPER_TAGS or tok.pos_ == "PROPN":
        return True
    if (
        tok.tag_ == "NN"
        and tok.is_title
        and tok.dep_ in ("nsubj", "nsubjpass")
        and not any(c.dep_ in ("det", "poss", "amod", "compound") for c in tok.children)
    ):
        return True
    return (
        tok.is_alpha
        and tok.text[:1].isupper()
        and not tok.is_sent_start
        and tok.pos_ in ("NOUN", "ADJ", "X", "ADV")
        and not (tok.i > 0 and tok.doc[tok.i - 1].text in ("“", '"', "‘"))
    )


def _runs(doc) -> list[tuple[int, int]]:
    """Maximal runs of proper nouns, joined over "of"/"&" when a proper noun follows ("University of X")."""
    runs = []
    i, n = 0, len(doc)
    while i < n:
        if not is_proper(doc[i]):
            i += 1
            continue
        j = i + 1
        while j < n:
            if is_proper(doc[j]) and doc[j].ent_iob_ != "B":  # a new entity starts a new name
                j += 1
            elif doc[j].lower_ in ("of", "&") and j + 1 < n and is_proper(doc[j + 1]):
                j += 2
            else:
                break
        runs.append((i, j))
        i = j
    return runs


class NameIndex:
    """Person / organisation votes for every proper name of a doc."""

    def __init__(self, doc) -> None:
        self.doc = doc
        self.votes: dict[tuple[str, ...], Counter] = {}
        self.run_at: dict[int, tuple[int, int]] = {}
        self.by_last: dict[str, set[tuple[str, ...]]] = {}
        for start, end in _runs(doc):
            key = self.key(start, end)
            for k in range(start, end):
                self.run_at[k] = (start, end)
            votes = self.votes.setdefault(key, Counter())
            votes.update(self._mention_votes(start, end))
            if end - start > 1:
                self.by_last.setdefault(doc[end - 1].text, set()).add(key)

    def key(self, start: int, end: int) -> tuple[str, ...]:
        doc = self.doc
        words = [doc[k].text for k in range(start, end) if doc[k].lower_ not in PERSON_TITLES or k == end - 1]
        return tuple(words)

    def _mention_votes(self, start: int, end: int) -> Counter:
        doc = self.doc
        v: Counter = Counter()
        toks = doc[start:end]
        last = toks[-1]
        ents = [t.ent_type_ for t in toks if t.ent_type_]
        if ents:
            top = Counter(ents).most_common(1)[0][0]
            if len(toks) > 1:
                v["person" if top == "PERSON" else "org" if top in _ORG_ENTS else "other"] += 1
            else:  # a lone word's label counts only when it is not the surname of a full name
                v["lone_person" if top == "PERSON" else "lone_org" if top in _ORG_ENTS else "other"] += 1
        before = doc[start - 1] if start > 0 else None
        window = doc[max(0, start - 4) : start]
        if any(_is_title(t) for t in window) and not any(t.is_punct and t.text != "." for t in window):
            v["person"] += 2
        titled = any(_is_title(t) for t in toks[:-1])
        if last.lower_ in ORG_SUFFIXES:
            v["org"] += 3
        elif titled:
            v["person"] += 3  # "Port Director Lena Ortiz", "Secretary of Education Miguel Cardona"
        elif any(t.lower_ in ("of", "&") for t in toks):
            v["org"] += 3
        elif (
            2 <= len(toks) <= 3
            and all(t.is_title and t.is_alpha for t in toks)
            and not (before and before.lower_ == "the")
        ):
            v["person"] += 1  # "First Last"
        if len(toks) == 1 and last.is_upper and len(last.text) >= 2 and last.is_alpha:
            v["org"] += 2  # acronym
        camel = any(c.isupper() for c in last.text[1:]) and not last.is_upper
        if len(toks) == 1 and camel and not last.text.startswith(("Mc", "Mac", "O'", "D'", "De", "Le", "La")):
            v["org"] += 1  # "SoCalGas", "OpenAI"
        if before is not None and before.lower_ == "the" and last.tag_ != "NNPS":
            v["org"] += 2  # people's names do not take "the"
        root = toks.root
        for child in root.children:  # "X, a utility" / "X, a researcher"
            if child.dep_ == "appos":
                if child.lower_ in ORG_NOUNS or child.lower_.rstrip("s") in ORG_NOUNS:
                    v["org"] += 2
                elif child.lower_ in PERSON_NOUNS:
                    v["person"] += 2
        if root.dep_ == "appos":  # "the company, X"
            if root.head.lower_ in ORG_NOUNS:
                v["org"] += 2
            elif root.head.lower_ in PERSON_NOUNS:
                v["person"] += 2
        if root.dep_ in ("nsubj", "nsubjpass") and root.head.i != root.i:
            verb = root.head
            for t in doc[verb.i + 1 : min(verb.sent.end, verb.i + 12)]:
                if t.lower_ == "its" or (t.lower_ in ("his", "her", "him") and t.head.i != root.i):
                    v["org" if t.lower_ == "its" else "person"] += 1
                    break
        return v

    def votes_for(self, start: int, end: int) -> Counter:
        """The votes of the name written at tokens [start, end) (a run or the tokens of one). A bare surname
        takes the votes of the full names it ends: the small model's labels on lone surnames are noise."""
        run = self.run_at.get(end - 1)
        if run is None:
            return Counter()
        key = self.key(*run)
        own = Counter(self.votes.get(key, ()))
        fulls = self.by_last.get(key[0], ()) if len(key) == 1 else ()
        lone_person, lone_org = own.pop("lone_person", 0), own.pop("lone_org", 0)
        if fulls:  # a surname: the small model's labels on it alone are noise, its full name's are not
            for full in fulls:
                own.update(self.votes[full])
        else:
            own["person"] += lone_person
            own["org"] += lone_org
        return own

    def has_org_form(self, start: int, end: int) -> bool:
        """Does the name itself look like an organisation's (a corporate or agency word, an acronym)?"""
        toks = self.doc[start:end]
        last = toks[-1]
        return last.lower_ in ORG_SUFFIXES or (len(toks) == 1 and last.is_upper and len(last.text) >= 2)

    def kind_of(self, key: tuple[str, ...]) -> str:
        v = Counter(self.votes.get(key) or ())
        v["person"] += v["lone_person"]
        v["org"] += v["lone_org"]
        return "person" if v["person"] > v["org"] else "org" if v["org"] > v["person"] else ""

    def kind(self, start: int, end: int) -> tuple[str, str]:
        """ "person", "org" or "" (no evidence either way), with the evidence."""
        v = self.votes_for(start, end)
        if v["person"] > v["org"]:
            return "person", f"name: person {v['person']} / org {v['org']}"
        if v["org"] > v["person"]:
            return "org", f"name: org {v['org']} / person {v['person']}"
        return "", "name: no evidence"


def name_index(doc) -> NameIndex:
    cached = doc.user_data.get("_prepass_names")
    if cached is None:
        cached = doc.user_data["_prepass_names"] = NameIndex(doc)
    return cached
