"""The words the pre-pass's rules know: verbs of saying and believing, hedges, and the head nouns, titles and
markers that type a source. Plain sets, no spaCy; ``rules``, ``classify`` and ``relay`` read them."""

from __future__ import annotations

_IRREGULAR = {
    "say": ["said", "says", "saying"], "tell": ["told", "tells", "telling"],
    "write": ["wrote", "written", "writes", "writing"], "think": ["thought", "thinks", "thinking"],
    "find": ["found", "finds", "finding"], "hear": ["heard", "hears", "hearing"],
    "know": ["knew", "known", "knows", "knowing"], "show": ["showed", "shown", "shows", "showing"],
    "feel": ["felt", "feels", "feeling"], "forecast": ["forecast", "forecasts", "forecasting"],
    "teach": ["taught"], "foresee": ["foresaw", "foreseen", "foresees"], "learn": ["learned", "learnt", "learns"],
    "tweet": ["tweeted", "tweets", "tweeting"], "post": ["posted", "posts", "posting"],
}  # fmt: skip
SPEECH = [
    "say", "tell", "announce", "allege", "confirm", "dispute", "stress", "add", "write", "warn", "claim",
    "state", "report", "deny", "insist", "argue", "explain", "note", "acknowledge", "admit", "assert",
    "contend", "suggest", "reveal", "disclose", "declare", "maintain", "tweet", "post", "testify", "recall",
    "complain", "respond", "reply", "ask", "urge", "promise", "vow", "accuse", "charge", "indicate",
    "emphasize", "emphasise", "caution", "concede", "observe", "remark", "comment", "predict", "estimate",
    "conclude", "find", "show", "cite", "quote", "describe", "call", "tell", "learn", "hear", "reiterate",
    "repeat", "point", "continue", "agree", "boast", "brag", "joke", "lament", "mention", "acknowledge",
    "pledge", "threaten", "signal", "contend", "counter", "dismiss", "blame", "praise", "criticize",
    "criticise", "demand", "propose", "recommend", "advise", "assure", "inform", "notify", "concur", "clarify",
    "speculate", "theorize", "project", "forecast", "calculate", "wonder", "utter", "recount",
]  # fmt: skip
BELIEF = [
    "believe", "think", "feel", "hope", "expect", "fear", "worry", "want", "plan", "suspect", "doubt", "know",
    "understand", "assume", "reckon",
]  # fmt: skip
LABEL_STOP = {
    "latest",
    "correction",
    "update",
    "updated",
    "video",
    "watch",
    "photo",
    "photos",
    "note",
    "related",
    "read",
    "editor",
    "breaking",
    "exclusive",
    "opinion",
    "analysis",
    "q",
    "a",
    "tags",
    "source",
}
FIRST_SECOND = {"i", "we", "you"}
HEDGES = {"reportedly", "allegedly", "purportedly", "supposedly", "rumoredly", "ostensibly"}
EXPLETIVE_PASSIVE = {
    "believed",
    "understood",
    "thought",
    "said",
    "reported",
    "alleged",
    "rumored",
    "rumoured",
    "expected",
    "claimed",
    "known",
    "feared",
    "estimated",
}
STATEMENT_NOUNS = {
    "statement",
    "interview",
    "release",
    "post",
    "tweet",
    "letter",
    "email",
    "op-ed",
    "speech",
    "remarks",
    "briefing",
    "conference",
    "call",
    "testimony",
    "podcast",
    "appearance",
    "memo",
}


def _forms(lemma: str) -> set[str]:
    if lemma in _IRREGULAR:
        return {lemma, *_IRREGULAR[lemma]}
    if lemma.endswith("e"):
        return {lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"}
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        return {lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"}
    past = lemma + "ed"
    forms = {lemma, lemma + "s", past, lemma + "ing", lemma + "es"}
    if lemma in ("admit", "regret", "commit", "plan", "concur"):
        forms |= {lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    return forms


SPEECH_FORMS = {f: lem for lem in SPEECH for f in _forms(lem)}
BELIEF_FORMS = {f: lem for lem in BELIEF for f in _forms(lem)}


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
    "supporters", "opponent", "opponents", "detractor", "detractors", "everyone", "nobody",
    "pundit", "pundits", "commentators", "voter", "voters", "americans", "public", "rumor",
    "rumors", "speculation",
}  # fmt: skip
DOCUMENT_HEADS = {
    "filing", "filings", "document", "documents", "memo", "memos", "letter", "letters", "record", "records",
    "study", "studies", "survey", "surveys", "poll", "polls", "data", "analysis", "indictment", "complaint",
    "lawsuit", "ruling", "transcript", "transcripts", "email", "emails",
    "figures", "statistics", "estimate", "estimates", "assessment", "budget", "bill", "law", "order", "report",
    "reports", "testimony", "affidavit", "paper", "papers", "research", "audit", "dossier",
    "website", "guidelines", "platform", "forecast", "model", "numbers", "census", "index", "agenda", "minutes",
    "charges", "charge", "contract", "contracts", "chart", "charts", "spreadsheet", "database", "databases",
    "dataset", "datasets", "findings", "results", "tally", "projection", "projections", "questionnaire", "docket",
    "permit", "petition", "ordinance", "regulation", "regulations", "application", "invoice", "invoices",
    "receipts", "footage", "map", "maps", "table", "tables", "ranking", "rankings", "inspection", "inspections",
    "evaluation", "review", "polling", "tracker", "logs", "log", "summary", "calculations",
    "documentation", "disclosure", "disclosures", "warrant", "citation", "citations", "schedule", "files",
}  # fmt: skip
# what an organisation or a person says through: typed by who stands behind it (taxonomy: a statement of a
# named organisation is named_organization)
STATEMENT_HEADS = {
    "statement", "statements", "release", "releases", "announcement", "video", "videos", "post", "posts",
    "tweet", "tweets", "message", "messages", "notice", "advisory", "newsletter", "ad", "advertisement",
    "website", "press", "remarks", "speech", "comment", "comments", "response", "reply",
}  # fmt: skip
# spokespeople speak for their organisation on the record
SPOKES_HEADS = {"spokesperson", "spokesman", "spokeswoman", "spokespeople", "spokespersons", "representative",
                "representatives", "spokesmen", "spokeswomen"}  # fmt: skip
# unnamed individuals described by their relation or role ("his mom", "one commenter", "a utility engineer")
PERSON_HEADS = {
    "mom", "mother", "dad", "father", "son", "daughter", "wife", "husband", "brother", "sister", "cousin",
    "uncle", "aunt", "grandmother", "grandfather", "neighbor", "neighbour", "neighbors", "neighbours",
    "colleague", "colleagues", "partner", "boyfriend", "girlfriend", "roommate", "commenter", "commenters",
    "engineer", "engineers", "teacher", "teachers", "nurse", "nurses", "student", "students", "man", "woman",
    "men", "women", "someone", "somebody", "parent", "parents", "tenant", "tenants", "driver", "drivers",
    "passenger", "passengers", "customer", "customers", "user", "users", "viewer", "viewers", "participant",
    "participants", "attendee", "attendees", "bystander", "bystanders", "guard", "guards", "contractor",
    "contractors", "inspector", "inspectors", "technician", "technicians", "clerk", "clerks", "pilot",
    "pilots", "crew", "detective", "detectives", "prosecutor", "judge", "scientist", "scientists",
    "consultant", "consultants", "manager", "managers", "owner", "owners", "organizer", "organizers",
    "volunteer", "volunteers", "farmer", "farmers", "fisherman", "fishermen", "landlord", "landlords",
    "patient", "patients", "victim", "victims", "survivor", "survivors", "caller", "fan", "fans",
}  # fmt: skip
# "the mayor said": one identifiable holder of an office, even unnamed
OFFICES = {
    "president", "mayor", "governor", "premier", "chancellor", "ceo", "king", "queen", "pope", "speaker",
    "chairman", "chairwoman", "chair", "minister", "secretary", "sheriff", "commissioner", "superintendent",
    "founder", "prime", "vice", "treasurer", "provost", "principal", "coach",
}  # fmt: skip
# plural heads that speak for the organisation named beside them ("Caltrans officials", "lawyers for the ACLU")
SPEAKING_FOR = {
    "officials", "executives", "leaders", "officers", "authorities", "lawyers", "attorneys", "representatives",
    "administrators", "spokespeople", "management",
}  # fmt: skip
ORG_STATEMENTS = {"statement", "release", "announcement", "notice", "advisory", "press"}
REPORT_VERBS = {"report", "reports", "reported", "reporting"}
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
