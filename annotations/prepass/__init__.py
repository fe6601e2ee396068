"""The spaCy pre-pass: sentences, attributions and sentence labels for article bodies.

spaCy only: no ORM here, so everything is testable without a database. The
pipeline is loaded lazily, once per process (``get_nlp``). ``services.py``
stores what ``propose_many`` returns.

Offsets in every proposal are character offsets into the text given,
half-open ``[start, end)``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

PIPELINE_NAME = "sourcing-desk-prepass"
PIPELINE_VERSION = "0.1.0"

Span = tuple[int, int]


@dataclass
class Anonymity:
    descriptor: str = ""
    seniority: str = ""  # "senior" | "none"
    number: str = ""  # "one" | "several" | digits
    justification: Span | None = None
    specificity: str = ""  # "bare" | "affiliated" | "role"


@dataclass
class AttributionProposal:
    source_type: str
    source: Span | None
    cue: Span | None
    content: Span | None = None
    quote_kind: str = ""
    via: str = ""
    anonymity: Anonymity | None = None
    speaker_ref: int | None = None  # index of an earlier proposal in the same article
    confidence: float = 0.5
    evidence: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SentenceProposal:
    start: int
    end: int
    label: str = ""
    confidence: float | None = None


@dataclass
class ArticleProposal:
    sentences: list[SentenceProposal]
    attributions: list[AttributionProposal] = field(default_factory=list)
    pipeline: str = PIPELINE_NAME
    version: str = PIPELINE_VERSION


_lock = threading.Lock()


@functools.cache
def _load(model_name: str):
    import spacy

    return spacy.load(model_name)


def get_nlp(model_name: str | None = None):
    """The configured trained pipeline, loaded once per process."""
    if model_name is None:
        from django.conf import settings

        model_name = settings.SPACY_MODEL
    with _lock:
        return _load(model_name)


def sentence_spans(doc) -> list[Span]:
    """Sentence spans trimmed of surrounding white space; white-space-only sentences dropped."""
    text = doc.text
    spans: list[Span] = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def propose_doc(doc) -> ArticleProposal:
    return ArticleProposal(sentences=[SentenceProposal(start, end) for start, end in sentence_spans(doc)])


def propose_many(
    texts: Iterable[str],
    *,
    outlets: Sequence[str] = (),
    batch_size: int = 32,
    n_process: int = 1,
    model_name: str | None = None,
) -> Iterator[ArticleProposal]:
    """Proposals for each text, in order, through ``nlp.pipe``."""
    nlp = get_nlp(model_name)
    for doc in nlp.pipe(texts, batch_size=batch_size, n_process=n_process):
        yield propose_doc(doc)
