"""From the trained tagger's SOURCE / CUE / CONTENT spans to candidate attributions, linked over the parse,
and the gaps the tagger leaves filled from the parse and the rules' reading of the same cue."""

from __future__ import annotations

from bisect import bisect_right

from .classify import classify_source
from .components import ATTR_SPANS_KEY
from .lexicon import SPEECH_FORMS
from .outlets import OutletMatcher
from .rules import Cand, Tok, _content_of, _source_of, _trim, find_quotes, verb_cue

FILL_SOURCE = True  # a tagger cue with no tagged source takes the subject / passive agent from the parse
RECOVER = True  # a tagged content with no cue in its sentence takes its governing verb as cue


def overlap(a: Tok | None, b: Tok | None) -> bool:
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


def hull(a: Tok | None, b: Tok | None) -> Tok | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), max(a[1], b[1])


def end(span: Tok | None) -> int:
    return span[1] if span else -1


def dist(a: Tok, b: Tok) -> int:
    return max(0, b[0] - a[1], a[0] - b[1])


def model_candidates(doc) -> list[Cand]:
    """Attributions from the SOURCE/CUE/CONTENT spans of ``attr_ner``, linked by the parse."""
    spans = list(doc.spans[ATTR_SPANS_KEY]) if ATTR_SPANS_KEY in doc.spans else []
    cues = [s for s in spans if s.label_ == "CUE"]
    sources = [s for s in spans if s.label_ == "SOURCE"]
    contents = [s for s in spans if s.label_ == "CONTENT"]
    if not cues:
        return []
    # sentence start of each span's first token, by bisecting the sentence starts (= ``s[0].sent.start``)
    sents = list(doc.sents)
    sent_starts = [sent.start for sent in sents]
    sent_of = {}
    for s in spans:
        sent_of[(s.start, s.end)] = sent_starts[bisect_right(sent_starts, s.start) - 1]
    cands: list[Cand] = []
    by_sent: dict[int, list[int]] = {}
    quotes = find_quotes(doc)
    for cue in cues:
        root = cue.root
        src_tok, how = _source_of(root) if root.tag_.startswith("VB") else (None, "")
        if root.lower_ == "according" or cue[0].lower_ == "according":
            to = [t for t in cue if t.lower_ == "to"]
            if to:
                pobj = [c for c in to[0].children if c.dep_ == "pobj"]
                src_tok, how = (pobj[0], "according to") if pobj else (None, "")
        sent_start = sent_of[(cue.start, cue.end)]
        same = [s for s in sources if sent_of[(s.start, s.end)] == sent_start]
        source = None
        evidence = ["tagger cue"]
        if src_tok is not None:
            hit = [s for s in same if s.start <= src_tok.i < s.end]
            if hit:
                source = hit[0]
                evidence.append(f"tagger source linked by parse ({how})")
        if source is None and src_tok is not None and how == "according to":
            pobj = _trim(doc, src_tok.left_edge.i, src_tok.right_edge.i + 1, keep_quotes=False)
            if pobj is not None:
                source = doc[pobj[0] : pobj[1]]
                evidence.append("source: the object of 'according to'")
        if source is None and same:
            source = min(same, key=lambda s: min(abs(s.start - cue.end), abs(cue.start - s.end)))
            evidence.append("nearest tagger source in sentence")
            quote = _quoted(quotes, cue.start)
            outer_cue = any(
                o is not cue and sent_of[(o.start, o.end)] == sent_start and not _quoted(quotes, o.start) for o in cues
            )
            if src_tok is not None and how == "subject" and quote and outer_cue and quote[0] < src_tok.i < quote[1]:
                # "“A council source said …,” the Post reported": not a source across a quotation mark
                span = _trim(doc, src_tok.left_edge.i, min(src_tok.right_edge.i + 1, cue.start), keep_quotes=False)
                if span is not None and _typed(doc[span[0] : span[1]], cue):
                    source = doc[span[0] : span[1]]
                    evidence[-1] = "source from parse: the tagged one is across a quotation mark"
        conf = 0.75 if source is not None else 0.6
        cands.append(
            Cand(
                (cue.start, cue.end),
                (source.start, source.end) if source is not None else None,
                None,
                "model",
                conf,
                evidence=evidence,
                cue_head=root.i,
            )
        )
        by_sent.setdefault(sent_start, []).append(len(cands) - 1)
    _cues_of_orphan_sources(doc, cands, by_sent, sources, contents, sent_of)
    # contents: to the nearest cue of their sentence, else (quote runs) to a neighbouring sentence's attribution
    sent_index = {start: k for k, start in enumerate(sent_starts)}
    owner = {sent_index[start]: idxs for start, idxs in by_sent.items()}
    pending = []
    for content in contents:
        idxs = by_sent.get(sent_of[(content.start, content.end)])
        if idxs is None and RECOVER:
            made = _cue_from_content(doc, content, sources, sent_of)
            if made is not None:
                cands.append(made)
                idxs = by_sent[sent_of[(content.start, content.end)]] = [len(cands) - 1]
                owner[sent_index[sent_of[(content.start, content.end)]]] = idxs
        if idxs is None:
            pending.append(content)
            continue
        best = min(idxs, key=lambda i: dist(cands[i].cue, (content.start, content.end)))
        cands[best].content = hull(cands[best].content, (content.start, content.end))
    for direction in (-1, 1):  # "“A,” he said. “B.”" then "“A. B,” he said."
        for content in pending if direction < 0 else reversed(pending):
            k = sent_index[sent_of[(content.start, content.end)]]
            if k in owner or k + direction not in owner:
                continue
            sent = sents[k]
            if direction < 0:
                target = owner[k - 1][-1]
                prev = sents[k - 1]
                tail = max(end(cands[target].cue), end(cands[target].content))
                ok = blank(doc, sent.start, content.start) and blank(doc, tail, prev.end)
            else:
                target = owner[k + 1][0]
                ok = blank(doc, content.end, sent.end) and (
                    cands[target].content is None or blank(doc, sents[k + 1].start, cands[target].content[0])
                )
            if ok:
                cands[target].content = hull(cands[target].content, (content.start, content.end))
                owner[k] = [target]
    return cands


def _typed(span, cue) -> bool:
    """Does the subject of a verb of saying inside a quotation read as a source (a person, a body, an
    anonymous official…)? "“This museum tells the story …”" is the speaker's own words, not a source."""
    return classify_source(span, OutletMatcher(()), cue_head=cue.root).source_type != "unspecified"


def _quoted(quotes: list[Tok], i: int) -> Tok | None:
    return next((q for q in quotes if q[0] < i < q[1] - 1), None)


def _cues_of_orphan_sources(doc, cands, by_sent, sources, contents, sent_of) -> None:
    """A sentence with a tagged source and a tagged content but no tagged cue: the verb of saying right after
    the source ("…,” someone uttered) or right before it ("…, reported the Times") is the cue."""
    with_content = {sent_of[(c.start, c.end)] for c in contents}
    for source in sources:
        sent_start = sent_of[(source.start, source.end)]
        if sent_start in by_sent or sent_start not in with_content:
            continue
        sent_end = source.sent.end
        near = [k for k in (source.end, source.end + 1, source.start - 1) if sent_start <= k < sent_end]
        verb = next((doc[k] for k in near if _says(doc[k])), None)
        if verb is None or not any(_same_paragraph(doc, c, source) for c in contents):
            continue  # "Jane Doe reported." on a line after the quotes: a credit line
        cands.append(
            Cand(
                verb_cue(verb),
                (source.start, source.end),
                None,
                "model_source_verb",
                0.55,
                evidence=["tagger source and content", "cue = the verb of saying beside the source"],
                cue_head=verb.i,
            )
        )
        by_sent.setdefault(sent_start, []).append(len(cands) - 1)


def _same_paragraph(doc, content, source) -> bool:
    """A tagged content of the source's sentence with no paragraph break (a blank line) between the two."""
    lo, hi = (content.end, source.start) if content.end <= source.start else (source.end, content.start)
    if content.sent.start != source.sent.start or hi < lo:
        return False
    between = doc[lo - 1 : hi].text_with_ws if lo else doc[lo:hi].text_with_ws
    return "\n\n" not in between.replace("\r", "").replace(" ", "")


def _says(tok) -> bool:
    """A verb of saying next to a tagged source ("found" and "learned" next to one are what it discovered,
    "called into" is telephoning)."""
    lemma = SPEECH_FORMS.get(tok.lower_)
    if lemma == "call" and tok.i + 1 < len(tok.doc) and tok.nbor().lower_ in ("into", "in"):
        return False  # "calls into the hotline": telephoning
    return lemma not in (None, "find", "learn") and tok.tag_.startswith("VB")


def _cue_from_content(doc, content, sources, sent_of) -> Cand | None:
    """A tagged content with no tagged cue: its governing verb is the cue (long-tail cues the tagger missed)."""
    root = content.root
    verb = root.head
    if verb.i == root.i or content.start <= verb.i < content.end or not verb.tag_.startswith("VB"):
        return None
    if root.dep_ not in ("ccomp", "xcomp", "dobj", "advcl", "parataxis", "attr", "oprd"):
        return None
    src_tok, how = _source_of(verb)
    source = None
    if src_tok is not None:
        hit = [s for s in sources if s.start <= src_tok.i < s.end]
        source = (hit[0].start, hit[0].end) if hit else None
    cue = verb_cue(verb)
    if overlap(cue, (content.start, content.end)):
        return None
    return Cand(
        cue,
        source,
        (content.start, content.end),
        "model_content_verb",
        0.5 if source else 0.4,
        evidence=["tagger content", "cue = governing verb of the content", f"speaker: {how}"],
        cue_head=verb.i,
    )


def blank(doc, start: int, end: int) -> bool:
    return start >= 0 and all(doc[i].is_space or doc[i].is_punct for i in range(start, end))


def fill_from_parse(doc, cands: list[Cand], rule_cands: list[Cand]) -> None:
    """Missing content (and source) of tagger attributions from the rules' reading of the same cue."""
    for c in cands:
        rule = next((r for r in rule_cands if overlap(r.cue, c.cue)), None)
        if c.content is None and rule is not None and rule.content is not None and not overlap(rule.content, c.source):
            c.content = rule.content
            c.evidence.append("content from parse rule")
        elif c.content is None and c.cue_head is not None and doc[c.cue_head].tag_.startswith("VB"):
            verb = doc[c.cue_head]
            content, how = _content_of(verb, verb.sent, c.source)
            if content is not None and not overlap(content, c.source) and not overlap(content, c.cue):
                c.content = _trim(doc, *content)
                c.evidence.append(f"content from parse ({how})")
        if (
            FILL_SOURCE
            and c.source is None
            and rule is not None
            and rule.source is not None
            and not overlap(rule.source, c.content)
        ):
            c.source = rule.source
            c.evidence.append("source from parse rule")
        elif FILL_SOURCE and c.source is None and c.cue_head is not None and doc[c.cue_head].tag_.startswith("VB"):
            src_tok, how = _source_of(doc[c.cue_head])
            if src_tok is not None and src_tok.lower_ not in ("which", "that", "it", "there"):
                s, e = src_tok.left_edge.i, src_tok.right_edge.i + 1
                if src_tok.dep_ in ("nsubj", "nsubjpass") and e > c.cue[0] >= s:
                    e = c.cue[0]
                src = _trim(doc, s, e, keep_quotes=False)
                if src is not None and not overlap(src, c.cue) and (not overlap(src, c.content) or _around(c)):
                    c.source = src
                    c.evidence.append(f"source from parse ({how})")
        if FILL_SOURCE and c.source is None and c.cue_head is not None:
            src = _holder(doc, doc[c.cue_head])
            if src is not None and not overlap(src, c.content) and not overlap(src, c.cue):
                c.source = src
                c.evidence.append("source from parse (holder of a noun or participle cue)")
        if c.content is None and c.cue is not None:
            c.content = _rest_of_sentence(doc, c)
            if c.content is not None:
                c.evidence.append("content = rest of the sentence")
                c.confidence -= 0.1


def _around(c: Cand) -> bool:
    """The tagged content runs on both sides of the cue ("“A,” Mr. X said. “B.”" hulled into one span): the
    subject beside the cue is the speaker, and ``link.finish`` cuts the content at it."""
    return c.content is not None and c.content[0] <= c.cue[0] and c.cue[1] <= c.content[1]


def _holder(doc, head) -> Tok | None:
    """Who a noun or participle cue belongs to: "Trump's claim", "a Trump tweet attacking …"."""
    if head.pos_ == "NOUN":
        poss = [c for c in head.children if c.dep_ == "poss" and c.lower_ not in ("its", "their", "his", "her")]
        if poss and poss[0].left_edge.lower_ not in ("a", "an"):  # "an individual's decision": anyone's
            return _trim(doc, poss[0].left_edge.i, poss[0].i + 1, keep_quotes=False)
    if (
        head.tag_ == "VBG"
        and head.dep_ == "acl"
        and head.head.i < head.i
        and head.head.pos_ in ("NOUN", "PROPN")
        and head.head.lower_ not in ("one", "ones")  # "polls, including ones showing …": a pro-form
    ):
        noun = head.head
        return _trim(doc, noun.left_edge.i, noun.i + 1, keep_quotes=False)
    return None


def _rest_of_sentence(doc, c: Cand) -> Tok | None:
    """The larger side of the sentence around the reporting clause (last resort for a cue with no content)."""
    clause = hull(c.cue, c.source)
    sent = doc[c.cue[0]].sent
    sides = [_trim(doc, sent.start, clause[0]), _trim(doc, clause[1], sent.end)]
    sides = [x for x in sides if x is not None and x[1] - x[0] >= 2]
    return max(sides, key=lambda x: x[1] - x[0]) if sides else None
