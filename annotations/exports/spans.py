"""Span labels and tokens shared by the token-based formats (Prodigy, spaCy, Label Studio, brat)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from annotations.models import Attribution

from .base import Record

ROLES = ("source", "cue", "content")
CUE = "CUE"
CONTENT = "CONTENT"
REL_SOURCE_CUE = "SOURCE_CUE"  # head: the source mention, child: the cue
REL_CUE_CONTENT = "CUE_CONTENT"  # head: the cue, child: the content


def source_label(source_type: str) -> str:
    return f"SOURCE_{source_type.upper()}"


def role_label(attribution: Attribution, role: str) -> str:
    return source_label(attribution.source_type) if role == "source" else role.upper()


@dataclass(frozen=True)
class LabelledSpan:
    attribution: int  # position in Record.live
    role: str
    start: int
    end: int
    label: str


def labelled_spans(record: Record) -> list[LabelledSpan]:
    """Source, cue and content spans of the live attributions, in reading order."""
    out = []
    for i, a in enumerate(record.live):
        for role in ROLES:
            span = a.span(role)
            if span is not None:
                out.append(LabelledSpan(i, role, span[0], span[1], role_label(a, role)))
    return out


def unique_spans(spans: list[LabelledSpan]) -> list[tuple[int, int, str]]:
    """(start, end, label) once each, sorted: one source mention may serve several attributions."""
    return sorted({(s.start, s.end, s.label) for s in spans})


class Tokenizer:
    """spaCy's rule-based English tokenizer only (no model): fast and the same everywhere.

    A fresh blank pipeline every ``every`` documents, so its vocabulary (every new word it has seen) does not
    grow without end over a large export.
    """

    def __init__(self, every: int = 5000) -> None:
        self.every = every
        self.count = 0
        self.nlp = None

    def make_doc(self, text: str):
        if self.nlp is None or self.count >= self.every:
            import spacy

            self.nlp = spacy.blank("en")
            self.count = 0
        self.count += 1
        return self.nlp.make_doc(text)


@functools.cache
def tokenizer() -> Tokenizer:
    """A shared tokenizer for single tasks (tests, one-off calls)."""
    return Tokenizer()
