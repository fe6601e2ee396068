"""The demo articles' gold files (annotations/demo/gold/): they parse, every text resolves in its article's
clean body, and together they cover every sourcing case of the taxonomy. Pure: no database."""

import json
from collections import Counter
from pathlib import Path

import pytest

from annotations import demo_gold
from annotations.demo_gold import GoldError, gold_files, gold_path, load_gold, read_gold, resolve_gold
from annotations.importing import ParsedArticle, read_upload
from annotations.models import QuoteKind, Seniority, SentenceLabel, SourceType, Specificity

DEMO = demo_gold.DEMO_DIR


def demo_articles() -> list[ParsedArticle]:
    files = sorted(p for p in DEMO.rglob("*") if p.suffix in {".txt", ".html", ".jsonl", ".csv"})
    # named as load_demo names them: relative to the demo folder
    items = [item for p in files for item in read_upload(str(p.relative_to(DEMO)), p.read_bytes())]
    assert all(isinstance(item, ParsedArticle) for item in items)
    return items


ARTICLES = demo_articles()
GOLD = gold_files()


def article_of(path: Path) -> ParsedArticle:
    found = [a for a in ARTICLES if gold_path(source_name=a.source_name, external_id=a.external_id) == path]
    assert len(found) == 1, f"{path.name} belongs to {len(found)} demo articles"
    return found[0]


def test_vocabularies_are_the_models():
    assert tuple(SourceType.values) == demo_gold.SOURCE_TYPES
    assert tuple(QuoteKind.values) == demo_gold.QUOTE_KINDS
    assert tuple(Seniority.values) == demo_gold.SENIORITIES
    assert tuple(Specificity.values) == demo_gold.SPECIFICITIES
    assert tuple(SentenceLabel.values) == demo_gold.SENTENCE_LABELS


def test_about_half_the_demo_articles_have_gold_from_every_outlet():
    assert len(ARTICLES) == 18
    assert 8 <= len(GOLD) <= 10
    outlets = {article_of(path).outlet for path in GOLD}
    assert outlets == {a.outlet for a in ARTICLES}


@pytest.mark.parametrize("path", GOLD, ids=lambda p: p.name)
def test_gold_file_resolves_in_its_article(path):
    article = article_of(path)
    gold = read_gold(path, article.body)
    assert gold.attributions
    for a in gold.attributions:
        for role in ("source", "cue", "content"):
            start, end = a[f"{role}_start"], a[f"{role}_end"]
            if start is not None:
                assert 0 <= start < end <= len(article.body)
                assert article.body[start:end] == a[role]
        if a["source_type"] == "anonymous":
            assert a["anon_seniority"] and a["anon_number"] and a["anon_specificity"]
            if a["anon_justification_start"] is not None:
                assert article.body[a["anon_justification_start"] : a["anon_justification_end"]] == a["justification"]
        if a["speaker_ref"] is not None:
            assert a["speaker_ref"] < a["index"]
        if a["content"]:
            quoted = a["content"].startswith("“") and a["content"].rstrip(",.").endswith("”")
            assert (a["quote_kind"] == "direct") == quoted, a["content"]
    # cues in reading order, sentence texts found
    cues = [a["cue_start"] for a in gold.attributions if a["cue_start"] is not None]
    assert cues == sorted(cues)
    assert all(article.body[s["start"] : s["end"]] == s["text"] for s in gold.sentences)
    assert load_gold(path, article.body) == gold.attributions


def test_gold_covers_every_case():
    everything = [a for path in GOLD for a in load_gold(path, article_of(path).body)]
    types = Counter(a["source_type"] for a in everything)
    assert set(types) == set(SourceType.values)
    anonymous = [a for a in everything if a["source_type"] == "anonymous"]
    assert {a["anon_specificity"] for a in anonymous} == set(Specificity.values)
    assert any(a["anon_justification_start"] is not None for a in anonymous)
    assert any(a["anon_number"] not in ("one", "several") for a in anonymous)  # numbered
    assert any(a["anon_number"] == "several" for a in anonymous)
    assert any(a["anon_seniority"] == "senior" for a in anonymous)
    assert any(a["via"] for a in anonymous)  # relayed
    assert any(a["via"] and a["source_type"] == "named_person" for a in everything)
    assert any(a["source"].endswith("spokesperson") and a["source_type"] == "named_organization" for a in everything)
    assert any("in a statement" in a["cue"] and a["source_type"] == "named_organization" for a in everything)
    assert any(a["speaker_ref"] is not None for a in everything)
    assert {a["quote_kind"] for a in everything} == set(QuoteKind.values)
    labels = {s["label"] for path in GOLD for s in read_gold(path, article_of(path).body).sentences}
    assert {"unsourced_claim", "no_claim"} <= labels


def test_quote_inside_a_quote_and_relay():
    path = demo_gold.GOLD_DIR / "10_stadium_deal.json"
    by_source = {a["source"]: a for a in load_gold(path, article_of(path).body)}
    inner, outer = by_source["A council source"], by_source["the Coastline Post"]
    assert inner["via"] == "Coastline Post" and inner["source_type"] == "anonymous"
    assert outer["source_type"] == "media" and outer["via"] == ""
    assert outer["content_start"] <= inner["cue_start"] < outer["content_end"]


BODY = "Anna Berg said the budget would pass. She said it twice. A source said it would not."


def test_texts_resolve_after_the_previous_cue_near_the_cue_or_by_occurrence():
    gold = resolve_gold(
        {
            "article": "x.txt",
            "attributions": [
                {"key": "berg", "source": "Anna Berg", "cue": "said", "source_type": "named_person"},
                {"source": "She", "cue": "said", "content": "it", "source_type": "named_person",
                 "quote_kind": "indirect", "speaker_ref": "berg"},
                {"source": "A source", "cue": "said", "occurrence": 3, "content": {"text": "it", "occurrence": 2},
                 "source_type": "anonymous", "quote_kind": "indirect",
                 "anonymity": {"descriptor": "", "seniority": "none", "number": 1, "justification": None,
                               "specificity": "bare"}},
            ],
            "sentences": [{"text": "She said it twice.", "label": "no_claim"}],
        },
        BODY,
    )  # fmt: skip
    first, second, third = gold.attributions
    assert BODY[first["cue_start"] :].startswith("said the budget")
    assert BODY[second["cue_start"] :].startswith("said it twice") and second["speaker_ref"] == 0
    assert second["content_start"] == BODY.index("it twice")  # the nearest "it" to its cue
    assert third["cue_start"] == BODY.rindex("said") and third["content_start"] == BODY.rindex("it")
    assert third["anon_number"] == "1" and first["anon_number"] == "" and first["quote_kind"] == ""
    assert gold.sentences == [{"start": 38, "end": 56, "label": "no_claim", "text": "She said it twice."}]
    bounds = [(0, 37), (38, 56), (57, len(BODY))]
    assert demo_gold.sentence_labels(gold.sentences, bounds) == ["sourced", "no_claim", "sourced"]
    # merged sentences: the most claim-like label wins
    merged = [{"start": 0, "label": "no_claim"}, {"start": 5, "label": "unsourced_claim"}]
    assert demo_gold.sentence_labels(merged, [(0, 40)]) == ["unsourced_claim"]


@pytest.mark.parametrize(
    ("attribution", "message"),
    [
        ({"source": "Anna Berg", "cue": "said", "content": "the budget would fail", "source_type": "named_person",
          "quote_kind": "indirect"}, r"x\.json, attribution 1, content: 'the budget would fail' not found"),
        ({"source": "Anna Berg", "cue": "told", "source_type": "named_person"},
         r"attribution 1, cue: 'told' not found"),
        ({"source": "Anna Berg", "cue": "said", "source_type": "person"}, r"attribution 1, source_type"),
        ({"source": "A source", "cue": "said", "source_type": "anonymous"}, r"attribution 1, anonymity: required"),
        ({"source": "Anna Berg", "cue": "said", "source_type": "named_person", "speaker_ref": "nobody"},
         r"attribution 1, speaker_ref"),
        ({"source": "Anna Berg", "cue": "said", "source_type": "named_person", "qoute_kind": "direct"},
         r"attribution 1: unknown field\(s\) qoute_kind"),
        ({"source": "Anna Berg", "cue": "said", "source_type": "named_person", "occurrence": 9},
         r"attribution 1, cue: occurrence 9 of 'said' asked for, the body holds 3"),
    ],
)  # fmt: skip
def test_bad_gold_fails_loudly_with_file_attribution_and_field(attribution, message):
    first = {"source": "Anna Berg", "cue": "said", "source_type": "named_person"}
    with pytest.raises(GoldError, match=message):
        resolve_gold({"article": "x.txt", "attributions": [first, attribution]}, BODY, name="x.json")


def test_gold_path_by_file_stem_or_row_id(tmp_path):
    (tmp_path / "01_a.json").write_text(json.dumps({"article": "01_a.txt", "attributions": []}))
    (tmp_path / "row-7.json").write_text(json.dumps({"article": "extra/f.jsonl", "id": "row-7", "attributions": []}))
    assert gold_path(source_name="01_a.txt", directory=tmp_path) == tmp_path / "01_a.json"
    assert gold_path(source_name="extra/f.jsonl:2", external_id="row-7", directory=tmp_path) == tmp_path / "row-7.json"
    assert gold_path(source_name="other/f.jsonl:2", external_id="row-7", directory=tmp_path) is None
    assert gold_path(source_name="extra/f.jsonl:2", external_id="", directory=tmp_path) is None
    assert gold_path(source_name="02_b.txt", directory=tmp_path) is None
