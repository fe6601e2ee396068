"""Property tests (hypothesis): the cleaner accounts for its whole input; stored spans slice the body exactly.

"Accounts for", from how ``cleaning.clean_pasted_text`` works: the input is split into lines at ``\\r\\n``,
``\\r`` and ``\\n`` and each line loses its trailing white space (``L``). Then

1. every removed line is ``{"line": n, "text": L[n - 1], "reason": r}`` with ``1 <= n <= len(L)``, the numbers
   strictly increasing, ``r`` a non-empty rule name;
2. the title, when there is one, is ``L[t].strip()`` for a line ``t`` that was not removed;
3. the body is ``normalise_text`` of the lines neither removed nor the title, joined with ``\\n``.

So every line of the input is in exactly one place: removed (kept verbatim, with its number), the title, or
the body (where only trailing spaces and runs of blank lines are normalised away).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from annotations import services
from annotations.cleaning import clean_pasted_text, normalise_text
from annotations.importing import read_upload
from annotations.models import Article, Attribution
from tests.factories import make_article, make_outlet, make_user

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
DB_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

WHITESPACE = " \t\u00a0\u2009\u3000\r\n\x0b\x0c\u2028"
CRUFT = [
    "Share this:", "Facebook", "X", "Subscribe", "Leave a reply", "Advertisement", "Discover more from The Post",
    "Thanks for reading The Post! Subscribe for free.", "By Jane Doe", "March 4, 2026", "Photo: Jo Li/Getty",
    "Related posts", "3 min read", "Tags: council, harbour", "We use cookies to improve this site.", "12",
    "Your email address will not be published.", "© 2026 The Post. All rights reserved.",
]  # fmt: skip
# Text an editor could paste: any Unicode a database stores (no NUL, no lone surrogate), much white space,
# web cruft lines and story sentences.
chars = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
pieces = st.one_of(
    st.text(chars, max_size=30),
    st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=12),
    st.sampled_from(CRUFT),
    st.just("The mayor said the bridge would open in May, officials confirmed."),
)
pasted = st.lists(pieces, max_size=25).map("".join)
pasted_lines = st.lists(st.one_of(pieces, st.sampled_from(CRUFT)), max_size=20).map("\n".join)


def input_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def check_accounts_for(text: str, take_title: bool = True) -> None:
    result = clean_pasted_text(text, take_title=take_title)
    lines = input_lines(text)
    numbers = [item["line"] for item in result.removed_lines]
    assert numbers == sorted(set(numbers))
    assert all(1 <= n <= len(lines) for n in numbers)
    for item in result.removed_lines:
        assert item["text"] == lines[item["line"] - 1]
        assert item["reason"]
    removed = {n - 1 for n in numbers}
    rest = [k for k in range(len(lines)) if k not in removed]
    title_index = None
    if result.title:
        candidates = [k for k in rest if lines[k].strip()]
        assert take_title and candidates and lines[candidates[0]].strip() == result.title
        title_index = candidates[0]
    kept = [lines[k] for k in rest if k != title_index]
    assert result.body == normalise_text("\n".join(kept))


@PROPERTY_SETTINGS
@given(pasted, st.booleans())
def test_the_removed_lines_title_and_body_account_for_the_whole_input(text, take_title):
    check_accounts_for(text, take_title)


@PROPERTY_SETTINGS
@given(pasted_lines)
def test_line_by_line_input_is_accounted_for(text):
    check_accounts_for(text)


@PROPERTY_SETTINGS
@given(pasted)
def test_the_raw_input_is_kept_exactly(text):
    data = text.encode("utf-8")
    for item in read_upload("paste.txt", data, outlet="The Post"):
        if type(item).__name__ == "ParsedArticle":
            assert item.raw == data.decode("utf-8-sig")
            assert item.body == item.body.strip("\n") and item.body


@PROPERTY_SETTINGS
@given(pasted)
def test_a_jsonl_record_keeps_its_line_and_text_exactly(text):
    import json

    assume("\n" not in json.dumps(text))
    line = json.dumps({"text": text, "outlet": "The Post"})
    for item in read_upload("feed.jsonl", line.encode("utf-8")):
        if type(item).__name__ == "ParsedArticle":
            assert item.raw == line
            check_accounts_for(text)


# --- spans: attribution_add / attribution_correct -------------------------------------------------------------

bodies = st.text(chars, min_size=1, max_size=200).filter(lambda s: s.strip())


@st.composite
def body_and_span(draw):
    body = draw(bodies)
    start = draw(st.integers(0, len(body) - 1))
    end = draw(st.integers(start + 1, len(body)))
    return body, start, end


@pytest.fixture
def reviewer(db):
    return make_user(role="editor")


@pytest.fixture
def outlet(db):
    return make_outlet("Property Post")


@DB_SETTINGS
@given(case=body_and_span(), role=st.sampled_from(["source", "cue", "content"]))
def test_an_added_span_slices_the_stored_body_exactly(reviewer, outlet, case, role):
    body, start, end = case
    article = make_article(outlet=outlet, body=body, sentences=False)
    fields = {"source_type": "named_person", f"{role}_start": start, f"{role}_end": end}
    if role == "content":
        fields |= {"cue_start": start, "cue_end": end}
    attribution = services.attribution_add(article_id=article.pk, user=reviewer, fields=fields)
    stored = Attribution.objects.get(pk=attribution.pk)
    stored_body = Article.objects.values_list("body", flat=True).get(pk=article.pk)
    assert stored_body == body
    got_start, got_end = getattr(stored, f"{role}_start"), getattr(stored, f"{role}_end")
    assert (got_start, got_end) == (start, end)
    assert 0 <= got_start <= got_end <= len(stored_body)
    assert stored.article.text(got_start, got_end) == body[start:end]


@DB_SETTINGS
@given(case=body_and_span(), new_start=st.integers(-3, 210), new_end=st.integers(-3, 210))
def test_a_corrected_span_slices_the_body_or_is_refused(reviewer, outlet, case, new_start, new_end):
    from django.core.exceptions import ValidationError

    body, start, end = case
    article = make_article(outlet=outlet, body=body, sentences=False)
    added = services.attribution_add(
        article_id=article.pk, user=reviewer, fields={"source_type": "named_person", "cue_start": start, "cue_end": end}
    )
    try:
        services.attribution_correct(
            attribution_id=added.pk, user=reviewer, version=added.version,
            changes={"source_start": new_start, "source_end": new_end},
        )  # fmt: skip
        accepted = True
    except ValidationError:
        accepted = False
    stored = Attribution.objects.get(pk=added.pk)
    assert accepted == (0 <= new_start < new_end <= len(body))
    if accepted:
        assert (stored.source_start, stored.source_end) == (new_start, new_end)
        assert body[stored.source_start : stored.source_end] == body[new_start:new_end]
    else:
        assert (stored.source_start, stored.source_end, stored.version) == (None, None, added.version)
    assert (stored.cue_start, stored.cue_end) == (start, end)
    assert stored.article.text(stored.cue_start, stored.cue_end) == body[start:end]
