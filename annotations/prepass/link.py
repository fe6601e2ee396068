"""From candidates to finished attributions: spans from the trained tagger linked over the parse,
quote extension, classification, via, speaker references, confidence."""

from __future__ import annotations

from bisect import bisect_right

from . import relay
from .classify import ANON_GENERIC, ANON_ROLE, PRONOUNS_PERSON, classify_source, is_justification, medium
from .components import ATTR_SPANS_KEY
from .outlets import MEDIA_HEADS, OutletMatcher, normalise
from .rules import (
    SPEECH_FORMS,
    STATEMENT_NOUNS,
    Cand,
    Tok,
    _content_of,
    _source_of,
    _trim,
    find_candidates,
    find_quotes,
    verb_cue,
)

# rule kinds kept beside the trained tagger (it rarely tags these cues)
RULE_ONLY_KINDS = ("hedge", "according_to", "colon", "colon_label", "dash")
FILL_SOURCE = True  # a tagger cue with no tagged source takes the subject / passive agent from the parse
RECOVER = True  # a tagged content with no cue in its sentence takes its governing verb as cue
# Tried and left out (PolNeAR dev, 30% overlap): adding every rule verb cue the tagger missed (cue F1 -0.03),
# rule verb cues backed by a tagged source and content (no change), verbs of orphan tagged sources
# (recall up, precision down, F1 unchanged).
VIA_DEPS = {"dative", "dobj", "prep", "npadvmod", "advcl", "pobj"}


def _overlap(a: Tok | None, b: Tok | None) -> bool:
    return a is not None and b is not None and a[0] < b[1] and b[0] < a[1]


def _hull(a: Tok | None, b: Tok | None) -> Tok | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), max(a[1], b[1])


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
                if span is not None:
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
        best = min(idxs, key=lambda i: _dist(cands[i].cue, (content.start, content.end)))
        cands[best].content = _hull(cands[best].content, (content.start, content.end))
    for direction in (-1, 1):  # "“A,” he said. “B.”" then "“A. B,” he said."
        for content in pending if direction < 0 else reversed(pending):
            k = sent_index[sent_of[(content.start, content.end)]]
            if k in owner or k + direction not in owner:
                continue
            sent = sents[k]
            if direction < 0:
                target = owner[k - 1][-1]
                prev = sents[k - 1]
                tail = max(_end(cands[target].cue), _end(cands[target].content))
                ok = _blank(doc, sent.start, content.start) and _blank(doc, tail, prev.end)
            else:
                target = owner[k + 1][0]
                ok = _blank(doc, content.end, sent.end) and (
                    cands[target].content is None or _blank(doc, sents[k + 1].start, cands[target].content[0])
                )
            if ok:
                cands[target].content = _hull(cands[target].content, (content.start, content.end))
                owner[k] = [target]
    return cands


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
        verb = next((doc[k] for k in near if doc[k].lower_ in SPEECH_FORMS and doc[k].tag_.startswith("VB")), None)
        if verb is None:
            continue
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
    if _overlap(cue, (content.start, content.end)):
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


def _blank(doc, start: int, end: int) -> bool:
    return start >= 0 and all(doc[i].is_space or doc[i].is_punct for i in range(start, end))


def fill_from_parse(doc, cands: list[Cand], rule_cands: list[Cand]) -> None:
    """Missing content (and source) of tagger attributions from the rules' reading of the same cue."""
    for c in cands:
        rule = next((r for r in rule_cands if _overlap(r.cue, c.cue)), None)
        if c.content is None and rule is not None and rule.content is not None and not _overlap(rule.content, c.source):
            c.content = rule.content
            c.evidence.append("content from parse rule")
        elif c.content is None and c.cue_head is not None and doc[c.cue_head].tag_.startswith("VB"):
            verb = doc[c.cue_head]
            content, how = _content_of(verb, verb.sent, c.source)
            if content is not None and not _overlap(content, c.source) and not _overlap(content, c.cue):
                c.content = _trim(doc, *content)
                c.evidence.append(f"content from parse ({how})")
        if (
            FILL_SOURCE
            and c.source is None
            and rule is not None
            and rule.source is not None
            and not _overlap(rule.source, c.content)
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
                if src is not None and not _overlap(src, c.content) and not _overlap(src, c.cue):
                    c.source = src
                    c.evidence.append(f"source from parse ({how})")
        if FILL_SOURCE and c.source is None and c.cue_head is not None:
            src = _holder(doc, doc[c.cue_head])
            if src is not None and not _overlap(src, c.content) and not _overlap(src, c.cue):
                c.source = src
                c.evidence.append("source from parse (holder of a noun or participle cue)")
        if c.content is None and c.cue is not None:
            c.content = _rest_of_sentence(doc, c)
            if c.content is not None:
                c.evidence.append("content = rest of the sentence")
                c.confidence -= 0.1


def _holder(doc, head) -> Tok | None:
    """Who a noun or participle cue belongs to: "Trump's claim", "a Trump tweet attacking …"."""
    if head.pos_ == "NOUN":
        poss = [c for c in head.children if c.dep_ == "poss" and c.lower_ not in ("its", "their", "his", "her")]
        if poss:
            return _trim(doc, poss[0].left_edge.i, poss[0].i + 1, keep_quotes=False)
    if head.tag_ == "VBG" and head.dep_ == "acl" and head.head.i < head.i and head.head.pos_ in ("NOUN", "PROPN"):
        noun = head.head
        return _trim(doc, noun.left_edge.i, noun.i + 1, keep_quotes=False)
    return None


def _rest_of_sentence(doc, c: Cand) -> Tok | None:
    """The larger side of the sentence around the reporting clause (last resort for a cue with no content)."""
    clause = _hull(c.cue, c.source)
    sent = doc[c.cue[0]].sent
    sides = [_trim(doc, sent.start, clause[0]), _trim(doc, clause[1], sent.end)]
    sides = [x for x in sides if x is not None and x[1] - x[0] >= 2]
    return max(sides, key=lambda x: x[1] - x[0]) if sides else None


def _end(span: Tok | None) -> int:
    return span[1] if span else -1


def _dist(a: Tok, b: Tok) -> int:
    return max(0, b[0] - a[1], a[0] - b[1])


def _via(doc, cand: Cand, outlets: OutletMatcher) -> tuple[str, Tok | None]:
    """The outlet a source spoke to: "told Politico", "confirmed to CNN", "in an interview with the BBC"."""
    if cand.cue_head is None:
        return "", None
    head = doc[cand.cue_head]
    for child in head.children:
        if child.dep_ not in VIA_DEPS:
            continue
        span = (child.left_edge.i, child.right_edge.i + 1)
        if _overlap(span, cand.content) or _overlap(span, cand.source):
            continue
        if child.dep_ == "prep" and child.lower_ not in ("to", "with", "in", "on", "during"):
            continue
        if child.dep_ == "prep" and child.lower_ in ("in", "on", "during"):
            nouns = [t.lower_ for t in child.subtree]
            if not any(n in STATEMENT_NOUNS for n in nouns):
                continue
        name = outlets.find(doc[span[0] : span[1]].text)
        if name:
            target = child
            if child.dep_ == "prep":
                pobj = [c for c in child.children if c.dep_ == "pobj"]
                target = pobj[0] if pobj else child
                while target.lower_ in MEDIA_HEADS and any(c.dep_ == "prep" for c in target.children):
                    sub = [p for c in target.children if c.dep_ == "prep" for p in c.children if p.dep_ == "pobj"]
                    if not sub:
                        break
                    target = sub[0]
            return name, _trim(doc, target.left_edge.i, target.right_edge.i + 1, keep_quotes=False)
    return "", None


def _definite_head(doc, src: Tok):
    toks = doc[src[0] : src[1]]
    root = toks.root
    return toks[0].lower_ in ("the", "that", "this") and len(toks) <= 4, root


def finish(doc, cands: list[Cand], quotes: list[Tok], outlets: OutletMatcher, own_outlet: str = "") -> list[Cand]:
    cands = sorted(cands, key=lambda c: (c.cue or c.source)[0])
    out: list[Cand] = []
    # cues are taken in order of their start, so a non-empty cue overlaps a kept one exactly when it starts
    # before the largest end of the kept cues (empty cues, which the rules never make, take the full scan)
    cue_end = -1
    for c in cands:
        if c.cue is not None:
            if c.cue[0] < c.cue[1]:
                if c.cue[0] < cue_end:
                    continue
            elif any(_overlap(c.cue, o.cue) for o in out):
                continue
        if c.content is not None:
            for q in quotes:
                if _overlap(q, c.content) and not (c.cue and _overlap(q, c.cue) and q[0] < c.cue[0] < q[1]):
                    c.content = _hull(c.content, q)
            c.content = _trim(doc, *c.content)
            if c.content is not None:
                inside = sum(q[1] - q[0] for q in quotes if q[0] >= c.content[0] and q[1] <= c.content[1])
                size = c.content[1] - c.content[0]
                c.quote_kind = "direct" if inside >= size - 1 else ("mixed" if inside else "indirect")
        if c.source is not None and _overlap(c.source, c.content):
            c.content = _trim(doc, c.content[0], c.source[0]) if c.content[0] < c.source[0] else None
        if c.source is None and c.cue is None:
            continue
        out.append(c)
        if c.cue is not None and c.cue[1] > cue_end:
            cue_end = c.cue[1]
    _interrupted_quotes(doc, out, quotes)
    _continue_quotes(doc, out, quotes)
    relay.split_citations(doc, out)
    out = [c for c in out if not _justification_clause(doc, c)]
    for i, c in enumerate(out):
        typed_by = _resolve_relative(doc, c)
        if typed_by is not None and not c.source_type:
            span = doc[typed_by[0] : typed_by[1]]
            info = classify_source(span, outlets, cue_head=doc[c.cue_head] if c.cue_head is not None else None)
            c.source_type, c.anonymity = info.source_type, info.anonymity
            c.evidence.append(f"type: {info.evidence}")
            c.confidence = round(0.65 * c.confidence + 0.35 * info.confidence, 3)
            _speaker_ref(doc, out, i)
        elif not c.source_type:
            c.source_type = "unspecified"
            c.confidence = round(c.confidence * 0.9, 3)
        if c.content is None:
            c.confidence = round(c.confidence * 0.7, 3)
        refers_back = c.speaker_ref is not None and c.source_type in ("named_organization", "media")
        if refers_back and c.cue_head is not None and medium(doc[c.cue_head]) == "document":
            c.source_type = "document"  # "it said in its annual report"
            c.evidence.append("type: through a document")
    via_spans: dict[int, Tok] = {}
    for c in out:
        if c.source_type == "media":
            continue
        outer = c.relayed_by
        if outer is not None and outer.source_type == "media" and outer.source is not None:
            c.via = _outlet_name(doc, outer, outlets)
        else:
            c.via, span = _via(doc, c, outlets)
            if span is not None:
                via_spans[id(c)] = span
        if c.via and _same_outlet(c.via, own_outlet):
            c.via = ""  # "told the Ledger" in the Ledger: first-hand
            via_spans.pop(id(c), None)
        if c.via:
            c.evidence.append(f"via {c.via}")
    # relayed sourcing: an attribution inside the content of a media attribution is via that outlet
    for outer in out:
        if outer.source_type != "media" or outer.content is None or outer.source is None:
            continue
        name = _outlet_name(doc, outer, outlets)
        if _same_outlet(name, own_outlet):
            continue
        for inner in out:
            if (
                inner is not outer
                and inner.cue
                and outer.content[0] <= inner.cue[0] < outer.content[1]
                and not inner.via
                and inner.source_type != "media"
            ):
                inner.via = name
                inner.evidence.append(f"relayed by {name}")
    relay.outer_for_told(doc, out, via_spans, outlets)
    for c in out:
        if c.anonymity is not None and c.source_type != "anonymous":
            c.anonymity = None
    return out


def _justification_clause(doc, c: Cand) -> bool:
    """ "…, who asked not to be named because …": why a source is anonymous, not an attribution."""
    if c.cue_head is None or c.content is None:
        return False
    head = doc[c.cue_head]
    return head.dep_ in ("relcl", "acl", "advcl") and is_justification(doc[c.content[0] : c.content[1]])


def _resolve_relative(doc, c: Cand) -> tuple[int, int] | None:
    """The span to type a source by: a relative pronoun ("the contract, which showed …") stands for the noun it
    follows. The source span itself stays the pronoun, as PolNeAR marks it. A trailing comma or relative
    pronoun is left out of a longer source."""
    if c.source is None:
        return None
    span = doc[c.source[0] : c.source[1]]
    end = c.source[1]
    while end - c.source[0] > 1 and (doc[end - 1].text == "," or doc[end - 1].lower_ in ("who", "which")):
        end -= 1  # "A utility engineer, who" -> "A utility engineer"
    c.source = (c.source[0], end)
    if len(span) == 1 and span[0].lower_ in ("which", "who", "that") and c.cue_head is not None:
        verb = doc[c.cue_head]
        noun = verb.head if verb.dep_ == "relcl" else None
        if noun is not None and noun.i < span.start:
            c.evidence.append("relative pronoun: typed by the noun it follows")
            return _trim(doc, noun.left_edge.i, noun.i + 1, keep_quotes=False)
    return c.source


def _same_outlet(name: str, own: str) -> bool:
    return bool(own) and normalise(name) == normalise(own)


def _outlet_name(doc, cand: Cand, outlets: OutletMatcher) -> str:
    text = doc[cand.source[0] : cand.source[1]].text
    return outlets.find(text) or text


def _interrupted_quotes(doc, out: list[Cand], quotes: list[Tok]) -> None:
    """“A,” he said, “B.” — the quote resumed after the reporting clause belongs to the same content."""
    starts = {q[0]: q for q in quotes}
    for c in out:
        if c.cue is None or c.content is None or c.content[1] > c.cue[0]:
            continue
        clause = _hull(c.cue, c.source)
        if not _blank(doc, c.content[1], clause[0]):
            continue
        k = clause[1]
        sent_end = doc[clause[1] - 1].sent.end
        while k < sent_end and (doc[k].is_space or doc[k].text in (",", ":", "—", "–")):
            k += 1
        q = starts.get(k)
        if q is not None and not any(o is not c and _overlap(q, o.cue) for o in out):
            c.content = _hull(c.content, q)
            c.evidence.append("quote resumed after the reporting clause")


def _continue_quotes(doc, out: list[Cand], quotes: list[Tok]) -> None:
    """“A,” he said. “B.” — a quote right after a reporting clause that ends its sentence continues it."""
    if not quotes:
        return
    taken = [c.cue for c in out if c.cue] + [c.content for c in out if c.content]
    starts = {q[0]: q for q in quotes}
    for c in out:
        if c.cue is None or (c.content is not None and c.quote_kind == "indirect"):
            continue
        while True:
            last = max(_end(c.cue), _end(c.content), _end(c.source))
            sent = doc[last - 1].sent
            nxt = sent.end
            while nxt < len(doc) and doc[nxt].is_space:
                nxt += 1
            q = starts.get(nxt)
            if q is None or not _blank(doc, last, sent.end) or any(_overlap(q, t) for t in taken):
                break
            # the quote's own sentence must not carry another cue
            q_sent = doc[q[1] - 1].sent
            if any(o.cue and q_sent.start <= o.cue[0] < q_sent.end for o in out):
                break
            c.content = _hull(c.content, q)
            c.quote_kind = "direct" if c.quote_kind in ("direct", "") else "mixed"
            c.evidence.append("quote continued after the reporting clause")
            taken.append(q)


def _speaker_ref(doc, out: list[Cand], i: int) -> None:
    c = out[i]
    span = doc[c.source[0] : c.source[1]]
    low = span.text.lower()
    definite, root = _definite_head(doc, c.source)
    # which test applies depends on this source only; earlier sources are looked at only as far as it needs
    if low in PRONOUNS_PERSON and len(span) == 1:
        mode = 1
    elif low in ("they", "it") and len(span) == 1:
        mode = 4  # the nearest earlier source within a few sentences, whatever its type
        sent_floor = span.sent.start
        for _ in range(3):
            if sent_floor > 0:
                sent_floor = doc[sent_floor - 1].sent.start
    elif definite and root.lower_ in ANON_GENERIC | ANON_ROLE:
        mode = 2
        root_low = root.lower_.rstrip("s")
    elif len(span) == 1 and span[0].pos_ == "PROPN":
        mode = 3
        word = span[0].text
        word_i = span[0].i
    else:
        return
    target = None
    for j in range(i - 1, -1, -1):
        prev = out[j]
        if prev.source is None or (prev.speaker_ref is not None and prev.speaker_ref == j):
            continue
        ps, pe = prev.source
        if mode == 1:
            if prev.source_type == "named_person" and doc[ps:pe].root.lower_ not in PRONOUNS_PERSON:
                target = j
                break
        elif mode == 2:
            if prev.source_type == "anonymous" and doc[ps:pe].root.lower_.rstrip("s") == root_low:
                target = j
                break
        elif mode == 4:
            if ps < sent_floor:
                break
            if doc[ps:pe].root.lower_ not in PRONOUNS_PERSON | {"they", "it", "we", "i", "you"} and (
                low != "it" or prev.source_type in ("named_organization", "document", "media")
            ):
                target = j
                break
        elif pe - ps > 1 and doc[pe - 1].text == word and doc[ps:pe].root.i != word_i:
            target = j
            break
    if target is not None:
        ref = out[target]
        c.speaker_ref = ref.speaker_ref if ref.speaker_ref is not None else target
        c.source_type = ref.source_type
        if ref.anonymity is not None:
            c.anonymity = dict(ref.anonymity, justification=(c.anonymity or {}).get("justification"))
        c.evidence.append(f"continues attribution {c.speaker_ref}")


def attributions(doc, outlets: OutletMatcher, *, use_model: bool | None = None, own_outlet: str = "") -> list[Cand]:
    """Finished attributions of a parsed doc: from the trained tagger when present, plus rule-only kinds."""
    rule_cands, quotes = find_candidates(doc)
    if use_model is None:
        use_model = ATTR_SPANS_KEY in doc.spans
    if not use_model:
        return finish(doc, rule_cands, quotes, outlets, own_outlet)
    cands = model_candidates(doc)
    fill_from_parse(doc, cands, rule_cands)
    for rc in rule_cands:
        if rc.kind in RULE_ONLY_KINDS and not any(_overlap(rc.cue, c.cue) for c in cands):
            cands.append(rc)
    cands.extend(relay.extra_rule_candidates(doc, cands, rule_cands, outlets))
    return finish(doc, cands, find_quotes(doc) if quotes is None else quotes, outlets, own_outlet)
