"""brat standoff, PolNeAR style: a zip of ``text/<name>.txt`` and ``attributions/<name>_sourcingdesk.ann``.

T lines are ``Source``, ``Cue`` and ``Content`` text-bound spans (a span running over a
line break is split into fragments, as brat requires); each attribution is an E line
``E<n>\tAttribution:T<cue> Source:T<s> Cue:T<c> Content:T<t>`` whose trigger is the cue
(the source when there is no cue); A lines carry the source type and the review state.
``annotation.conf`` and ``visual.conf`` at the top let brat open the folder as it is.
The layout is the one ``annotations/prepass/brat.py`` (the evaluation's reader) reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from annotations.models import SourceType

from .base import Record
from .zipstream import Sink, member, open_zip

ANNOTATOR = "sourcingdesk"
KINDS = {"source": "Source", "cue": "Cue", "content": "Content"}

ANNOTATION_CONF = f"""[entities]
Source
Cue
Content
Attribution

[relations]
<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>

[events]
Attribution\tSource?:Source, Cue?:Cue, Content?:Content

[attributes]
SourceType\tArg:Attribution, Value:{"|".join(SourceType.values)}
ReviewState\tArg:Attribution, Value:proposed|confirmed|corrected|added
"""

VISUAL_CONF = """[labels]
Source | Source
Cue | Cue
Content | Content

[drawing]
Source\tbgColor:#8fb2ff
Cue\tbgColor:#ffd36b
Content\tbgColor:#b8e6b8
"""


def fragments(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span split at line breaks, each piece trimmed of white space; brat text-bounds cannot hold a newline."""
    out = []
    for m in re.finditer(r"[^\r\n]+", body[start:end]):
        s, e = start + m.start(), start + m.end()
        text = body[s:e]
        s += len(text) - len(text.lstrip())
        e -= len(text) - len(text.rstrip())
        if s < e:
            out.append((s, e))
    return out


def ann_text(record: Record) -> str:
    body = record.body
    lines: list[str] = []
    t_ids: dict[tuple[str, int, int], str] = {}

    def textbound(kind: str, start: int, end: int) -> str | None:
        key = (kind, start, end)
        if key in t_ids:
            return t_ids[key]
        frags = fragments(body, start, end)
        if not frags:
            return None
        tid = f"T{len(t_ids) + 1}"
        t_ids[key] = tid
        offsets = ";".join(f"{s} {e}" for s, e in frags)
        text = " ".join(body[s:e] for s, e in frags)
        lines.append(f"{tid}\t{kind} {offsets}\t{text}")
        return tid

    events: list[str] = []
    attrs: list[str] = []
    for a in record.live:
        args = {}
        for role, kind in KINDS.items():
            span = a.span(role)
            if span is not None:
                tid = textbound(kind, *span)
                if tid:
                    args[kind] = tid
        trigger = args.get("Cue") or args.get("Source")
        if trigger is None:
            continue
        eid = f"E{len(events) + 1}"
        parts = [f"Attribution:{trigger}"]
        parts += [f"{kind}:{args[kind]}" for kind in ("Source", "Cue", "Content") if kind in args]
        events.append(f"{eid}\t{' '.join(parts)}")
        attrs.append(f"A{len(attrs) + 1}\tSourceType {eid} {a.source_type}")
        attrs.append(f"A{len(attrs) + 1}\tReviewState {eid} {a.review_state}")
    return "\n".join(lines + events + attrs) + ("\n" if lines else "")


def doc_name(record: Record) -> str:
    return f"{record.article.outlet.slug}-{record.article.pk}"


def export_brat(records: Iterable[Record], *, includes_unreviewed: bool = False) -> Iterator[bytes]:
    sink = Sink()
    zf = open_zip(sink)
    zf.writestr(member(zf, "annotation.conf"), ANNOTATION_CONF)
    zf.writestr(member(zf, "visual.conf"), VISUAL_CONF)
    for record in records:
        name = doc_name(record)
        zf.writestr(member(zf, f"text/{name}.txt"), record.body.encode("utf-8"))
        zf.writestr(member(zf, f"attributions/{name}_{ANNOTATOR}.ann"), ann_text(record).encode("utf-8"))
        data = sink.drain()
        if data:
            yield data
    zf.close()
    yield from sink.chunks()
