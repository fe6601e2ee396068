"""spaCy DocBin (``.spacy``): one Doc per article, attribution spans in ``doc.spans`` groups.

Groups: ``sc`` (every source, cue and content span, labels ``SOURCE_<TYPE>``, ``CUE``,
``CONTENT``: the span categorizer's default key), ``source``, ``cue``, ``content``,
``justification`` and ``sentences`` (each sentence as a span labelled with its
sentence label). ``span.id_`` ties the spans of one attribution together
(``attribution-<n>``). Sentence boundaries are set on the tokens (``is_sent_start``).
Everything else (article fields, each attribution's fields) goes into
``doc.user_data["sourcing_desk"]`` (stored: the DocBin is written with user data)
and, for the command line, into a JSONL sidecar with one line per doc.

A DocBin normally holds every Doc in memory until it is written. This writer adds
the Docs in small batches and spills each batch's arrays to temporary files, then
writes the DocBin's msgpack message (the same fields ``DocBin.to_bytes`` writes) by
streaming those files through zlib: memory stays flat, and the result loads with
``DocBin().from_disk()``.
"""

from __future__ import annotations

import contextlib
import json
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from typing import IO

import srsly

from .base import Record, article_meta
from .spans import ROLES, Tokenizer, labelled_spans

BATCH = 100
READ = 1 << 20


def record_meta(record: Record, *, includes_unreviewed: bool) -> dict:
    article = record.article
    return {
        **article_meta(article, includes_unreviewed=includes_unreviewed),
        "sentences": [
            {"start": s.start, "end": s.end, "label": s.label, "review_state": s.review_state} for s in record.sentences
        ],
        "attributions": [
            {
                "id": f"attribution-{i}",
                "source_type": a.source_type,
                **{role: list(a.span(role)) if a.span(role) else None for role in (*ROLES, "anon_justification")},
                "quote_kind": a.quote_kind,
                "via": a.via,
                "anon_descriptor": a.anon_descriptor,
                "anon_seniority": a.anon_seniority,
                "anon_number": a.anon_number,
                "anon_specificity": a.anon_specificity,
                "speaker_ref": record.index_of.get(a.speaker_ref_id) if a.speaker_ref_id else None,
                "review_state": a.review_state,
                "origin": a.origin,
                "confidence": a.confidence,
            }
            for i, a in enumerate(record.live)
        ],
    }


def make_doc(nlp, record: Record, *, includes_unreviewed: bool = False):
    from spacy.tokens import Span

    doc = nlp.make_doc(record.body)
    # sentence boundaries: the first token of each sentence starts one, no other token does
    starts = set()
    for s in record.sentences:
        span = doc.char_span(s.start, s.end, alignment_mode="expand")
        if span is not None and len(span):
            starts.add(span.start)
    if starts:
        for token in doc:
            token.is_sent_start = token.i in starts or token.i == 0
    groups: dict[str, dict[tuple, Span]] = {k: {} for k in ("sc", "source", "cue", "content", "justification")}
    for item in labelled_spans(record):
        span = doc.char_span(item.start, item.end, label=item.label, alignment_mode="expand")
        if span is None or not len(span):
            continue
        span.id_ = f"attribution-{item.attribution}"
        groups["sc"].setdefault((span.start, span.end, item.label), span)
        groups[item.role].setdefault((span.start, span.end, item.label, span.id_), span)
    for i, a in enumerate(record.live):
        just = a.span("anon_justification")
        if just:
            span = doc.char_span(*just, label="JUSTIFICATION", alignment_mode="expand")
            if span is not None and len(span):
                span.id_ = f"attribution-{i}"
                groups["justification"][(span.start, span.end)] = span
    for name, spans in groups.items():
        doc.spans[name] = sorted(spans.values(), key=lambda sp: (sp.start, sp.end, sp.label_))
    sentence_spans = []
    for s in record.sentences:
        span = doc.char_span(s.start, s.end, label=s.label or "unlabelled", alignment_mode="expand")
        if span is not None and len(span):
            sentence_spans.append(span)
    doc.spans["sentences"] = sentence_spans
    doc.user_data["sourcing_desk"] = record_meta(record, includes_unreviewed=includes_unreviewed)
    return doc


@contextlib.contextmanager
def entry_points_scanned_once():
    """srsly looks up msgpack encoders among the installed packages' entry points on *every* pack call
    (a scan of all package metadata, ~5 ms; spaCy packs ~12 times per Doc). Load them once, register them
    in-process and skip the scan while the export runs: the same encoders, a fraction of the time."""
    from srsly.msgpack import msgpack_encoders

    if not msgpack_encoders.entry_points:
        yield
        return
    for name, func in msgpack_encoders.get_entry_points().items():
        msgpack_encoders.register(name, func=func)
    msgpack_encoders.entry_points = False
    try:
        yield
    finally:
        msgpack_encoders.entry_points = True


def _tempfile(tmpdir: str | None) -> IO[bytes]:
    return tempfile.TemporaryFile(dir=tmpdir)  # closed by StreamingDocBin.close()


def _bin32(n: int) -> bytes:
    return b"\xc6" + struct.pack(">I", n)


def _array32(n: int) -> bytes:
    return b"\xdd" + struct.pack(">I", n)


class StreamingDocBin:
    """The fields of ``DocBin.to_bytes`` written batch by batch to temporary files."""

    ARRAYS = ("cats", "flags", "span_groups", "user_data")

    def __init__(self, tmpdir: str | None = None) -> None:
        from spacy.tokens import DocBin

        self._DocBin = DocBin
        self._bin = DocBin(store_user_data=True)
        self.attrs = list(self._bin.attrs)
        self.version = self._bin.version
        self.tokens: IO[bytes] = _tempfile(tmpdir)
        self.spaces: IO[bytes] = _tempfile(tmpdir)
        self.lengths: IO[bytes] = _tempfile(tmpdir)
        self.arrays: dict[str, IO[bytes]] = {k: _tempfile(tmpdir) for k in self.ARRAYS}
        self.strings: set[str] = set()
        self.pack = srsly.msgpack.Packer(use_bin_type=True).pack  # what srsly.msgpack_dumps does, made once
        self.count = 0
        self.token_bytes = self.space_bytes = 0

    def add(self, doc) -> None:
        self._bin.add(doc)
        if len(self._bin) >= BATCH:
            self._spill()

    def _spill(self) -> None:
        import numpy

        b = self._bin
        for tokens, spaces in zip(b.tokens, b.spaces, strict=True):
            data = numpy.ascontiguousarray(tokens, dtype="uint64").tobytes("C")
            self.tokens.write(data)
            self.token_bytes += len(data)
            sdata = numpy.ascontiguousarray(spaces, dtype=bool).tobytes("C")
            self.spaces.write(sdata)
            self.space_bytes += len(sdata)
            self.lengths.write(numpy.asarray([len(tokens)], dtype="int32").tobytes("C"))
        for name in self.ARRAYS:
            fh = self.arrays[name]
            for item in getattr(b, name):
                fh.write(self.pack(item))
        self.strings.update(b.strings)
        self.count += len(b)
        self._bin = self._DocBin(store_user_data=True)

    def _file(self, fh: IO[bytes]) -> Iterator[bytes]:
        fh.seek(0)
        while chunk := fh.read(READ):
            yield chunk

    def chunks(self) -> Iterator[bytes]:
        """The compressed DocBin, in pieces."""
        if len(self._bin):
            self._spill()
        packer = zlib.compressobj()
        n = self.count

        def pieces() -> Iterator[bytes]:
            yield b"\x8a"  # a map of 10 entries
            yield self.pack("version") + self.pack(self.version)
            yield self.pack("attrs") + self.pack(self.attrs)
            yield self.pack("tokens") + _bin32(self.token_bytes)
            yield from self._file(self.tokens)
            yield self.pack("spaces") + _bin32(self.space_bytes)
            yield from self._file(self.spaces)
            yield self.pack("lengths") + _bin32(4 * n)
            yield from self._file(self.lengths)
            yield self.pack("strings") + _array32(len(self.strings))
            for s in sorted(self.strings):
                yield self.pack(s)
            for name in self.ARRAYS:
                yield self.pack(name) + _array32(n)
                yield from self._file(self.arrays[name])

        buffered: list[bytes] = []
        size = 0
        for piece in pieces():
            out = packer.compress(piece)
            if out:
                buffered.append(out)
                size += len(out)
                if size >= READ:
                    yield b"".join(buffered)
                    buffered, size = [], 0
        buffered.append(packer.flush())
        yield b"".join(buffered)
        self.close()

    def close(self) -> None:
        for fh in (self.tokens, self.spaces, self.lengths, *self.arrays.values()):
            fh.close()


def export_spacy(
    records: Iterable[Record], *, includes_unreviewed: bool = False, sidecar: IO[str] | None = None
) -> Iterator[bytes]:
    """The DocBin's bytes; with ``sidecar`` (a text file) also one JSON line per doc, in the same order."""
    writer = StreamingDocBin()
    nlp = Tokenizer()  # a fresh vocabulary every few thousand docs
    with contextlib.ExitStack() as stack:
        stack.enter_context(entry_points_scanned_once())
        stack.callback(writer.close)
        for n, record in enumerate(records):
            doc = make_doc(nlp, record, includes_unreviewed=includes_unreviewed)
            writer.add(doc)
            if sidecar is not None:
                sidecar.write(json.dumps({"doc": n, **doc.user_data["sourcing_desk"]}, ensure_ascii=False) + "\n")
        yield from writer.chunks()
