"""spaCy components of the pre-pass, registered as factories so they work in ``spacy.load`` configs.

- ``prepass_features``: writes into ``token.lemma`` a parse feature for the trained
  ``attr_ner`` (the lower-cased verb governing the token's clause, prefixed by ``Q``
  inside quotation marks). The lemmatizer is excluded from our pipeline, so LEMMA is a
  free slot; nothing else in the pre-pass reads lemmas.
- ``sourcing_desk.ListenerFeatures.v1`` (architecture): the input layer of ``attr_ner``. It listens to
  the base pipeline's shared, frozen ``tok2vec`` (the vectors the tagger and parser already computed, so
  the tagger pays no second CNN over the text) and concatenates a small embedding of its own over NORM,
  TAG, DEP and the clause feature.
- ``attr_stash``: moves the SOURCE/CUE/CONTENT entities of ``attr_ner`` into
  ``doc.spans["attr"]`` and clears ``doc.ents`` (as *missing*, not *O*) so that the
  stock ``ner`` that follows can still find PERSON/ORG/... entities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from spacy.attrs import DEP, HEAD, IS_SPACE, LEMMA, LOWER, ORTH, POS, TAG
from spacy.language import Language
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.util import registry

ATTR_SPANS_KEY = "attr"
OPEN_QUOTES = {"“", '"', "``", "‘‘"}
CLOSE_QUOTES = {"”", '"', "''", "’’"}
_VERB_POS = {"VERB", "AUX"}


def in_sorted(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``np.isin(values, ids)`` for a sorted, non-empty ``ids`` (much cheaper on small sets: no sorting)."""
    at = np.searchsorted(ids, values)
    np.minimum(at, len(ids) - 1, out=at)
    return ids[at] == values


_QUOTE_TOGGLE = get_string_id('"')
_QUOTE_OPEN = {get_string_id(t) for t in (*OPEN_QUOTES, "“")} - {_QUOTE_TOGGLE}
_QUOTE_CLOSE = {get_string_id(t) for t in (*CLOSE_QUOTES, "”")} - {_QUOTE_TOGGLE} - _QUOTE_OPEN
_QUOTE_ORTHS = np.array(sorted({_QUOTE_TOGGLE, *_QUOTE_OPEN, *_QUOTE_CLOSE}), dtype=np.uint64)
_VERB_POS_IDS = np.array(sorted(POS_IDS[p] for p in _VERB_POS), dtype=np.uint64)


def clause_feature(doc: Doc) -> list[str]:
    """One feature string per token: the governing verb of its clause, with a quote flag."""
    n = len(doc)
    if not n:
        return []
    arr = doc.to_array([ORTH, POS, HEAD])
    is_verb = in_sorted(arr[:, 1], _VERB_POS_IDS).tolist()
    heads = (np.arange(n, dtype=np.int64) + arr[:, 2].astype(np.int64)).tolist()
    # the quote state changes only at quote marks: remember where, and what they do
    marks = {}
    orths = arr[:, 0]
    for i in np.flatnonzero(in_sorted(orths, _QUOTE_ORTHS)).tolist():
        marks[i] = int(orths[i])
    lower: dict[int, str] = {}
    feats: list[str] = []
    in_quote = False
    for i in range(n):
        if i in marks:
            orth = marks[i]
            if orth == _QUOTE_TOGGLE:
                in_quote = not in_quote
            elif orth in _QUOTE_OPEN:
                in_quote = True
            else:
                in_quote = False
        h = i
        steps = 0
        while not is_verb[h] and heads[h] != h and steps < 8:
            h = heads[h]
            steps += 1
        if is_verb[h]:
            verb = lower.get(h)
            if verb is None:
                verb = lower[h] = doc[h].lower_
        else:
            verb = "-"
        feats.append(("Q" if in_quote else "") + verb)
    return feats


def set_features(doc: Doc) -> Doc:
    feats = clause_feature(doc)
    if feats:
        strings = doc.vocab.strings
        doc.from_array([LEMMA], np.array([strings.add(f) for f in feats], dtype=np.uint64))
    return doc


@Language.factory("prepass_features")
def make_prepass_features(nlp: Language, name: str):
    return set_features


def stash_ents(doc: Doc) -> Doc:
    doc.spans[ATTR_SPANS_KEY] = list(doc.ents)
    doc.set_ents([], default="missing")
    return doc


@Language.factory("attr_stash")
def make_attr_stash(nlp: Language, name: str):
    return stash_ents


@registry.architectures("sourcing_desk.ListenerFeatures.v1")
def listener_features(upstream: str, width: int, extra_width: int, attrs: list[str], rows: list[int], depth: int):
    """``Tok2VecListener(upstream)`` (``width`` wide) beside a small own tok2vec over ``attrs``.

    At prediction the listener reads ``doc.tensor``, which the upstream ``tok2vec`` sets; in training the
    upstream is frozen (not in the trainer), so it also reads ``doc.tensor`` of the pre-annotated docs.
    """
    from spacy.ml.models.tok2vec import MaxoutWindowEncoder, MultiHashEmbed, build_Tok2Vec_model
    from spacy.pipeline.tok2vec import Tok2VecListener
    from thinc.api import concatenate

    listener = Tok2VecListener(upstream_name=upstream, width=width)
    own = build_Tok2Vec_model(
        MultiHashEmbed(width=extra_width, attrs=attrs, rows=rows, include_static_vectors=False),
        MaxoutWindowEncoder(width=extra_width, depth=depth, window_size=1, maxout_pieces=3),
    )
    model = concatenate(listener, own)
    model.set_dim("nO", width + extra_width)
    return model


_ARRAY_KEYS = {"TAG": TAG, "LOWER": LOWER, "DEP": DEP, "IS_SPACE": IS_SPACE, "ORTH": ORTH, "POS": POS}


class TagAttributes:
    """The part of spaCy's ``attribute_ruler`` the pre-pass reads (POS, and the TAG/DEP of space tokens),
    vectorised: every pattern becomes a mask over the doc's arrays, applied in pattern order (later
    patterns win, as in the ruler). MORPH and LEMMA are not set: nothing in the pre-pass reads MORPH,
    and ``prepass_features`` owns LEMMA. ``tests/test_prepass_components.py`` checks the POS, TAG and
    DEP it sets equal the stock ruler's. A pattern it cannot compile (REGEX, multi-pattern rules that set
    POS/TAG/DEP) makes ``add_patterns`` raise, so the stock ruler is kept instead.
    """

    SETS = ("POS", "TAG", "DEP")

    def __init__(self, vocab, name: str = "tag_attributes") -> None:
        self.vocab = vocab
        self.name = name
        self.patterns: list[dict] = []
        self._rules: list[tuple[list[list[tuple[int, str, np.ndarray | int | bool]]], int, dict[str, int]]] = []
        self._table: dict[int, dict[str, int]] = {}

    def _value(self, key: str, value):
        if key == "IS_SPACE":
            if not isinstance(value, bool):
                raise ValueError(f"IS_SPACE {value!r}")
            return ("eq", int(value))
        if isinstance(value, str):
            return ("eq", get_string_id(value) if value else 0)
        if isinstance(value, dict) and len(value) == 1:
            ((op, items),) = value.items()
            if op in ("IN", "NOT_IN"):
                ids = np.array(sorted({get_string_id(v) if v else 0 for v in items}), dtype=np.uint64)
                return (op, ids)
        raise ValueError(f"unsupported pattern value {key}: {value!r}")

    def add_patterns(self, patterns: list[dict]) -> None:
        rules = []
        for pattern in patterns:
            attrs = {k: v for k, v in pattern["attrs"].items() if k in self.SETS}
            if not attrs:
                continue  # MORPH / LEMMA only
            if len(pattern["patterns"]) != 1:
                raise ValueError(f"cannot compile {pattern}")
            tokens = []
            for spec in pattern["patterns"][0]:
                conds = []
                for key, value in spec.items():
                    if key not in _ARRAY_KEYS:
                        raise ValueError(f"unsupported pattern key {key} in {pattern}")
                    conds.append((_ARRAY_KEYS[key], *self._value(key, value)))
                tokens.append(conds)
            values = {k: (POS_IDS[v] if k == "POS" else get_string_id(v)) for k, v in attrs.items()}
            for v in attrs.values():
                self.vocab.strings.add(v)
            rules.append((tokens, int(pattern.get("index", 0)), values))
        # the leading run of plain tag-map rules ({"TAG": x} -> POS/TAG/DEP) becomes one table lookup
        table: dict[int, dict[str, int]] = {}
        k = 0
        while k < len(rules):
            tokens, index, values = rules[k]
            if len(tokens) != 1 or index != 0 or len(tokens[0]) != 1 or tokens[0][0][:2] != (TAG, "eq"):
                break
            table.setdefault(int(tokens[0][0][2]), {}).update(values)
            k += 1
        self._table = table
        self._rules = rules[k:]
        self.patterns = list(patterns)

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n or not (self._rules or self._table):
            return doc
        cols = [TAG, LOWER, DEP, IS_SPACE, ORTH, POS]
        arr = doc.to_array(cols)
        column = {attr: arr[:, i] for i, attr in enumerate(cols)}
        new = {"POS": column[POS].copy(), "TAG": column[TAG].copy(), "DEP": column[DEP].copy()}
        changed = {"TAG": np.zeros(n, dtype=bool), "DEP": np.zeros(n, dtype=bool)}
        if self._table:
            tags, inverse = np.unique(column[TAG], return_inverse=True)
            for key in ("POS", "TAG", "DEP"):
                known = [self._table.get(t, {}).get(key) for t in tags.tolist()]
                if all(v is None for v in known):
                    continue
                has = np.array([v is not None for v in known])[inverse]
                lut = np.array([v or 0 for v in known], dtype=np.uint64)[inverse]
                new[key][has] = lut[has]
                if key in changed:
                    changed[key] |= has
        for tokens, index, values in self._rules:
            width = len(tokens)
            if width > n:
                continue
            mask = np.ones(n - width + 1, dtype=bool)
            for offset, conds in enumerate(tokens):
                for attr, op, value in conds:
                    col = column[attr][offset : offset + n - width + 1]
                    if op == "eq":
                        mask &= col == value
                    elif op == "IN":
                        mask &= in_sorted(col, value)
                    else:
                        mask &= ~in_sorted(col, value)
                if not mask.any():
                    break
            if not mask.any():
                continue
            at = np.flatnonzero(mask) + (index if index >= 0 else width + index)
            for key, value in values.items():
                new[key][at] = value
                if key in changed:
                    changed[key][at] = True
        doc.from_array([POS], new["POS"])
        for i in np.flatnonzero(changed["TAG"]).tolist():
            doc[i].tag = int(new["TAG"][i])
        for i in np.flatnonzero(changed["DEP"]).tolist():
            doc[i].dep = int(new["DEP"][i])
        return doc

    def to_disk(self, path, *, exclude=()) -> None:
        import srsly

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_msgpack(path / "patterns.msg", self.patterns)

    def from_disk(self, path, *, exclude=()):
        import srsly

        self.add_patterns(srsly.read_msgpack(Path(path) / "patterns.msg"))
        return self


@Language.factory("tag_attributes")
def make_tag_attributes(nlp: Language, name: str):
    return TagAttributes(nlp.vocab, name)


def use_tag_attributes(nlp: Language) -> bool:
    """Swap the pipeline's ``attribute_ruler`` for ``tag_attributes`` with the same patterns, if they compile."""
    if "attribute_ruler" not in nlp.pipe_names:
        return False
    patterns = nlp.get_pipe("attribute_ruler").patterns
    fast = TagAttributes(nlp.vocab)
    try:
        fast.add_patterns(patterns)
    except ValueError:
        return False
    nlp.replace_pipe("attribute_ruler", "tag_attributes")
    nlp.rename_pipe("attribute_ruler", "tag_attributes")
    nlp.get_pipe("tag_attributes").add_patterns(patterns)
    return True


# the frozen encoder's component (``encoder_features``) and architecture (``sourcing_desk.EncoderFeatures.v1``)
# register on import, so pipelines trained with it load wherever this module is imported
from . import encoder as _encoder  # noqa: E402,F401
