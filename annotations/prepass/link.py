"""From candidates to finished attributions: spans from the trained tagger linked over the parse,
quote extension, classification, via, speaker references, confidence."""

from __future__ import annotations

from . import relay
from .classify import classify_source, is_justification, medium
from .components import ATTR_SPANS_KEY
from .lexicon import ANON_GENERIC, ANON_ROLE, PRONOUNS_PERSON, STATEMENT_NOUNS
from .outlets import MEDIA_HEADS, OutletMatcher, normalise
from .rules import (
    Cand,
    Tok,
    _trim,
    find_candidates,
    find_quotes,
)
from .tagged import blank as _blank
from .tagged import end as _end
from .tagged import fill_from_parse, model_candidates
from .tagged import hull as _hull
from .tagged import overlap as _overlap

# rule kinds kept beside the trained tagger (it rarely tags these cues)
RULE_ONLY_KINDS = ("hedge", "according_to", "colon", "colon_label", "dash")
# Tried and left out (PolNeAR dev, 30% overlap): adding every rule verb cue the tagger missed (cue F1 -0.03),
# rule verb cues backed by a tagged source and content (no change), any verb governing an orphan tagged source
# (recall up, precision down, F1 unchanged; a verb of saying beside it is kept: ``tagged``).
VIA_DEPS = {"dative", "dobj", "prep", "npadvmod", "advcl", "pobj"}


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
        if c.source is not None and _overlap(c.source, c.content) and not _interrupted(c):
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
    if head.lemma_ in _STATING:  # "many of whom say the claims about retaliation are unfounded": a statement
        return False
    return head.dep_ in ("relcl", "acl", "advcl") and is_justification(doc[c.content[0] : c.content[1]])


# verbs whose clause states something even when its words are those of a justification
_STATING = {"say", "tell", "claim", "argue", "write", "report", "note", "add", "think", "believe", "warn"}


_RELATIVE = ("who", "which", "whose")


def _resolve_relative(doc, c: Cand) -> tuple[int, int] | None:
    """The span to type a source by: a relative pronoun ("the contract, which showed …") stands for the noun it
    follows. The source span itself stays the pronoun, as PolNeAR marks it. A relative pronoun after a comma
    ending a longer source is left out, and so is the comma before one ("A utility engineer, who" and "A
    utility engineer," before "who asked …" -> "A utility engineer"); an appositive's own closing comma
    stays ("Phil Lovas, the chairman, said"), as PolNeAR marks it."""
    if c.source is None:
        return None
    span = doc[c.source[0] : c.source[1]]
    end = c.source[1]
    if end - c.source[0] > 2 and doc[end - 1].lower_ in _RELATIVE and doc[end - 2].text == ",":
        end -= 1
    if end < c.source[1] or (end < len(doc) and doc[end].lower_ in _RELATIVE):
        while end - c.source[0] > 1 and doc[end - 1].text == ",":
            end -= 1
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


def _interrupted(c: Cand) -> bool:
    """“A,” Mr. X said. “B.”: the content runs on both sides of the reporting clause (source and cue)."""
    clause = _hull(c.cue, c.source)
    return clause is not None and c.content[0] < clause[0] and clause[1] < c.content[1]


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
