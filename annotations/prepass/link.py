"""From candidates to finished attributions: spans from the trained tagger linked over the parse,
quote extension, classification, via, speaker references, confidence."""

from __future__ import annotations

from .classify import ANON_GENERIC, ANON_ROLE, PRONOUNS_PERSON, classify_source
from .components import ATTR_SPANS_KEY
from .outlets import OutletMatcher
from .rules import STATEMENT_NOUNS, Cand, Tok, _source_of, _trim, find_candidates, find_quotes

# rule kinds kept beside the trained tagger (it rarely tags these cues)
RULE_ONLY_KINDS = ("hedge", "according_to", "colon", "colon_label", "dash")
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
    sent_of = {}
    for s in spans:
        sent_of[(s.start, s.end)] = s[0].sent.start
    cands: list[Cand] = []
    by_sent: dict[int, list[int]] = {}
    for cue in cues:
        root = cue.root
        src_tok, how = _source_of(root) if root.tag_.startswith("VB") else (None, "")
        if root.lower_ == "according" or cue[0].lower_ == "according":
            to = [t for t in cue if t.lower_ == "to"]
            if to:
                pobj = [c for c in to[0].children if c.dep_ == "pobj"]
                src_tok = pobj[0] if pobj else None
        sent_start = sent_of[(cue.start, cue.end)]
        same = [s for s in sources if sent_of[(s.start, s.end)] == sent_start]
        source = None
        evidence = ["tagger cue"]
        if src_tok is not None:
            hit = [s for s in same if s.start <= src_tok.i < s.end]
            if hit:
                source = hit[0]
                evidence.append(f"tagger source linked by parse ({how})")
        if source is None and same:
            source = min(same, key=lambda s: min(abs(s.start - cue.end), abs(cue.start - s.end)))
            evidence.append("nearest tagger source in sentence")
        conf = 0.75 if source is not None else 0.6
        cands.append(Cand((cue.start, cue.end), (source.start, source.end) if source is not None else None, None,
                          "model", conf, evidence=evidence, cue_head=root.i))
        by_sent.setdefault(sent_start, []).append(len(cands) - 1)
    # contents: to the nearest cue of their sentence, else to a neighbouring sentence's attribution
    sent_starts = sorted(by_sent)
    for content in contents:
        s0 = sent_of[(content.start, content.end)]
        idxs = by_sent.get(s0)
        if idxs is None:
            nxt = [s for s in sent_starts if s > s0]
            prv = [s for s in sent_starts if s < s0]
            if nxt and _contiguous(doc, content.end, nxt[0], contents):
                idxs = by_sent[nxt[0]][:1]
            elif prv and _contiguous(doc, max(_end(cands[i].content) for i in by_sent[prv[-1]]), content.start,
                                     contents):
                idxs = by_sent[prv[-1]][-1:]
            else:
                continue  # no content without a cue
        best = min(idxs, key=lambda i: _dist(cands[i].cue, (content.start, content.end)))
        cands[best].content = _hull(cands[best].content, (content.start, content.end))
    return cands


def _end(span: Tok | None) -> int:
    return span[1] if span else -1


def _dist(a: Tok, b: Tok) -> int:
    return max(0, b[0] - a[1], a[0] - b[1])


def _contiguous(doc, end: int, start: int, contents) -> bool:
    """True when only white space, punctuation or other content lies between ``end`` and ``start``."""
    if end < 0 or start <= end:
        return end >= 0 and start <= end
    if start - end > 60:
        return False
    covered = set()
    for c in contents:
        covered.update(range(c.start, c.end))
    return all(doc[i].is_space or doc[i].is_punct or i in covered for i in range(end, start))


def _via(doc, cand: Cand, outlets: OutletMatcher) -> str:
    """The outlet a source spoke to: "told Politico", "confirmed to CNN", "in an interview with the BBC"."""
    if cand.cue_head is None:
        return ""
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
        name = outlets.find(doc[span[0]:span[1]].text)
        if name:
            return name
    return ""


def _definite_head(doc, src: Tok):
    toks = doc[src[0]:src[1]]
    root = toks.root
    return toks[0].lower_ in ("the", "that", "this") and len(toks) <= 4, root


def finish(doc, cands: list[Cand], quotes: list[Tok], outlets: OutletMatcher) -> list[Cand]:
    cands = sorted(cands, key=lambda c: (c.cue or c.source)[0])
    out: list[Cand] = []
    for c in cands:
        if c.cue is not None and any(_overlap(c.cue, o.cue) for o in out):
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
    for i, c in enumerate(out):
        if c.source is not None:
            span = doc[c.source[0]:c.source[1]]
            info = classify_source(span, outlets)
            c.source_type, c.anonymity = info.source_type, info.anonymity
            c.evidence.append(f"type: {info.evidence}")
            c.confidence = round(0.65 * c.confidence + 0.35 * info.confidence, 3)
            _speaker_ref(doc, out, i)
        elif not c.source_type:
            c.source_type = "unspecified"
            c.confidence = round(c.confidence * 0.9, 3)
        if c.source_type != "media":
            c.via = _via(doc, c, outlets)
            if c.via:
                c.evidence.append(f"via {c.via}")
        if c.content is None:
            c.confidence = round(c.confidence * 0.7, 3)
    # relayed sourcing: an attribution inside the content of a media attribution is via that outlet
    for outer in out:
        if outer.source_type != "media" or outer.content is None:
            continue
        name = outlets.find(doc[outer.source[0]:outer.source[1]].text) or doc[outer.source[0]:outer.source[1]].text
        for inner in out:
            if inner is not outer and inner.cue and outer.content[0] <= inner.cue[0] < outer.content[1] \
                    and not inner.via and inner.source_type != "media":
                inner.via = name
                inner.evidence.append(f"relayed by {name}")
    for c in out:
        if c.anonymity is not None and c.source_type != "anonymous":
            c.anonymity = None
    return out


def _speaker_ref(doc, out: list[Cand], i: int) -> None:
    c = out[i]
    span = doc[c.source[0]:c.source[1]]
    low = span.text.lower()
    definite, root = _definite_head(doc, c.source)
    target = None
    for j in range(i - 1, -1, -1):
        prev = out[j]
        if prev.source is None or (prev.speaker_ref is not None and prev.speaker_ref == j):
            continue
        ptxt = doc[prev.source[0]:prev.source[1]]
        if low in PRONOUNS_PERSON and len(span) == 1:
            if prev.source_type == "named_person" and ptxt.root.lower_ not in PRONOUNS_PERSON:
                target = j
                break
        elif definite and root.lower_ in ANON_GENERIC | ANON_ROLE:
            if prev.source_type == "anonymous" and ptxt.root.lower_.rstrip("s") == root.lower_.rstrip("s"):
                target = j
                break
        elif len(span) == 1 and span[0].pos_ == "PROPN" and ptxt.root.i != span[0].i \
                and ptxt[-1].text == span[0].text and len(ptxt) > 1:
            target = j
            break
    if target is not None:
        ref = out[target]
        c.speaker_ref = ref.speaker_ref if ref.speaker_ref is not None else target
        c.source_type = ref.source_type
        if ref.anonymity is not None:
            c.anonymity = dict(ref.anonymity, justification=(c.anonymity or {}).get("justification"))
        c.evidence.append(f"continues attribution {c.speaker_ref}")


def attributions(doc, outlets: OutletMatcher, *, use_model: bool | None = None) -> list[Cand]:
    """Finished attributions of a parsed doc: from the trained tagger when present, plus rule-only kinds."""
    rule_cands, quotes = find_candidates(doc)
    if use_model is None:
        use_model = ATTR_SPANS_KEY in doc.spans
    if not use_model:
        return finish(doc, rule_cands, quotes, outlets)
    cands = model_candidates(doc)
    for rc in rule_cands:
        if rc.kind in RULE_ONLY_KINDS and not any(_overlap(rc.cue, c.cue) for c in cands):
            cands.append(rc)
    return finish(doc, cands, find_quotes(doc) if quotes is None else quotes, outlets)
