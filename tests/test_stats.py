"""The scorecard figures, computed by hand on a small fixture and compared with what the SQL gives."""

from __future__ import annotations

import datetime as dt

import pytest

from annotations import proportions, services, stats, stats_outlet
from annotations.models import Article, ArticleState, ReviewState, Sentence, SentenceLabel, SourceType
from tests.factories import DEFAULT_BODY, make_article, make_attribution, make_outlet

ANON = "A senior official"
JUSTIFICATION = "who spoke on condition of anonymity because talks were private"


def _span(text: str) -> dict:
    start = DEFAULT_BODY.index(text)
    return {"anon_justification_start": start, "anon_justification_end": start + len(text)}


def anonymous(article, *, state=ReviewState.CONFIRMED, justified=False, specificity="affiliated", descriptor="", **kw):
    return make_attribution(
        article,
        source=ANON,
        cue=None,
        source_type=SourceType.ANONYMOUS,
        review_state=state,
        anon_specificity=specificity,
        anon_descriptor=descriptor,
        **(_span(JUSTIFICATION) if justified else {}),
        **kw,
    )


def named(article, *, state=ReviewState.CONFIRMED, source_type=SourceType.NAMED_PERSON, **kw):
    return make_attribution(
        article, source="Finance Minister Anna Berg", source_type=source_type, review_state=state, **kw
    )


def label(article, *labels: str) -> None:
    for sentence, value in zip(article.sentences.order_by("index"), labels, strict=True):
        Sentence.objects.filter(pk=sentence.pk).update(label=value)


def count_all() -> None:
    """The factories write rows directly, not through the services: fill the scorecard's summary rows."""
    services.article_counts_refresh(article_ids=Article.objects.values_list("pk", flat=True))


S, U, N = SentenceLabel.SOURCED, SentenceLabel.UNSOURCED_CLAIM, SentenceLabel.NO_CLAIM


@pytest.fixture
def corpus(db):
    """Alpha: two reviewed articles, one in review, one only imported. Beta: 3 of 10 anonymous.
    Gamma: nothing reviewed."""
    alpha, beta, gamma = make_outlet("Alpha"), make_outlet("Beta"), make_outlet("Gamma")
    a1 = make_article(outlet=alpha, state=ArticleState.REVIEWED, published=dt.date(2025, 1, 15), title="A one")
    anon1 = anonymous(a1, justified=True, specificity="bare", descriptor="Pentagon")
    anon2 = anonymous(a1, state=ReviewState.CORRECTED, descriptor="pentagon ")
    named(a1, via="Reuters")
    anonymous(a1, state=ReviewState.REJECTED, specificity="bare", descriptor="Rejected")  # never counts
    label(a1, S, S, U)
    a2 = make_article(outlet=alpha, state=ArticleState.REVIEWED, published=dt.date(2025, 2, 10), title="A two")
    named(a2, state=ReviewState.ADDED, source_type=SourceType.NAMED_ORGANIZATION, origin="editor")
    named(a2)
    named(a2, source_type=SourceType.DOCUMENT)
    label(a2, S, N, U)
    a3 = make_article(outlet=alpha, state=ArticleState.IN_REVIEW, published=dt.date(2025, 2, 20), title="A three")
    anonymous(a3, state=ReviewState.PROPOSED, specificity="bare", descriptor="Ukrainian")
    named(a3)
    label(a3, U, U, N)
    make_article(outlet=alpha, state=ArticleState.IMPORTED, sentences=False, published=dt.date(2025, 2, 1))

    b1 = make_article(outlet=beta, state=ArticleState.REVIEWED, published=dt.date(2025, 1, 5), title="B one")
    for _ in range(3):
        anonymous(b1, descriptor="Police")
    for _ in range(7):
        named(b1)

    g1 = make_article(outlet=gamma, state=ArticleState.PREPASSED, published=dt.date(2025, 1, 7))
    anonymous(g1, state=ReviewState.PROPOSED, justified=True)
    count_all()
    return {
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
        "a1": a1,
        "a2": a2,
        "a3": a3,
        "b1": b1,
        "anon1": anon1,
        "anon2": anon2,
    }


def by_name(figures):
    return {f.outlet.name: f for f in figures}


def p(n, d):
    return proportions.Proportion(n, d)


# --- the Wilson interval ---------------------------------------------------------------------------


def test_wilson_interval_hand_computed():
    low, high = proportions.wilson_interval(3, 10)
    assert round(low, 4) == 0.1078
    assert round(high, 4) == 0.6032
    low, high = proportions.wilson_interval(0, 10)
    assert low == 0 and round(high, 4) == 0.2775
    low, high = proportions.wilson_interval(10, 10)
    assert round(low, 4) == 0.7225 and high == 1
    low, high = proportions.wilson_interval(1, 2)
    assert round(low, 4) == 0.0945 and round(high, 4) == 0.9055
    assert proportions.wilson_interval(0, 0) is None


def test_proportion_without_denominator_is_no_data_not_zero():
    empty = p(0, 0)
    assert empty.value is None and empty.low is None and empty.high is None
    assert empty.pct == "no data"
    assert empty.as_dict() == {"numerator": 0, "denominator": 0, "value": None, "ci95_low": None, "ci95_high": None}
    assert p(3, 10).as_dict() == {
        "numerator": 3,
        "denominator": 10,
        "value": 0.3,
        "ci95_low": 0.1078,
        "ci95_high": 0.6032,
    }
    assert p(1, 40).pct == "2.5%" and p(3, 10).pct == "30%"


# --- per-outlet figures ------------------------------------------------------------------------------


def test_reviewed_only_figures_by_hand(corpus, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the outlets, the counts grouped by outlet
        figures = by_name(stats.outlet_figures(stats.Scope()))
    alpha = figures["Alpha"]
    assert alpha.articles == 2  # a1, a2 (a3 is in review, a4 only imported)
    assert alpha.attributions == 6  # rejected never counts
    assert alpha.anonymous == p(2, 6)
    assert alpha.articles_with_anonymous == p(1, 2)
    assert alpha.justified == p(1, 2)
    assert alpha.bare == p(1, 2)
    assert alpha.via == p(1, 6)
    assert alpha.unsourced == p(2, 5)  # a1: 3 claims, 1 unsourced; a2: 2 claims, 1 unsourced
    assert alpha.named_per_article == proportions.Rate(3, 2)
    assert alpha.named_per_article.value == 1.5
    # intervals come with every share
    assert round(alpha.anonymous.low, 4) == 0.0968 and round(alpha.anonymous.high, 4) == 0.7000

    beta = figures["Beta"]
    assert beta.anonymous == p(3, 10)
    assert (round(beta.anonymous.low, 4), round(beta.anonymous.high, 4)) == (0.1078, 0.6032)
    assert beta.articles_with_anonymous == p(1, 1)
    assert beta.justified == p(0, 3)
    assert beta.unsourced == p(0, 0) and beta.unsourced.value is None  # no claim sentences: no data


def test_outlet_without_reviewed_articles_has_no_data(corpus):
    gamma = by_name(stats.outlet_figures(stats.Scope()))["Gamma"]
    assert not gamma.has_data
    assert gamma.articles == 0
    for key in stats.FIGURE_KEYS:
        assert getattr(gamma, key).value is None, key
    assert gamma.named_per_article.value is None


def test_unreviewed_switch_adds_proposals_and_articles_in_review(corpus):
    figures = by_name(stats.outlet_figures(stats.Scope(include_unreviewed=True)))
    alpha = figures["Alpha"]
    assert alpha.articles == 3  # the imported article never counts
    assert alpha.attributions == 8
    assert alpha.anonymous == p(3, 8)
    assert alpha.articles_with_anonymous == p(2, 3)
    assert alpha.justified == p(1, 3)
    assert alpha.bare == p(2, 3)
    assert alpha.via == p(1, 8)
    assert alpha.unsourced == p(4, 7)
    assert alpha.named_per_article == proportions.Rate(4, 3)
    gamma = figures["Gamma"]
    assert gamma.articles == 1 and gamma.anonymous == p(1, 1) and gamma.justified == p(1, 1)


def test_date_range(corpus):
    scope = stats.Scope(date_from=dt.date(2025, 2, 1))
    figures = by_name(stats.outlet_figures(scope))
    alpha = figures["Alpha"]
    assert alpha.articles == 1 and alpha.attributions == 3
    assert alpha.anonymous == p(0, 3)
    assert alpha.articles_with_anonymous == p(0, 1)
    assert alpha.justified.value is None  # no anonymous attribution: no data, not 0%
    assert alpha.unsourced == p(1, 2)
    assert alpha.named_per_article == proportions.Rate(2, 1)
    assert not figures["Beta"].has_data

    scope = stats.Scope(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 1, 31))
    alpha = by_name(stats.outlet_figures(scope))["Alpha"]
    assert alpha.articles == 1 and alpha.anonymous == p(2, 3)
    # both ends inclusive
    scope = stats.Scope(date_from=dt.date(2025, 1, 15), date_to=dt.date(2025, 1, 15))
    assert by_name(stats.outlet_figures(scope))["Alpha"].articles == 1


def test_given_outlets_same_figures(corpus):
    everyone = by_name(stats.outlet_figures(stats.Scope()))
    some = by_name(stats.outlet_figures(stats.Scope(), [corpus["alpha"], corpus["gamma"]]))
    assert set(some) == {"Alpha", "Gamma"}
    assert some["Alpha"] == everyone["Alpha"]
    assert not some["Gamma"].has_data


def test_descriptors_case_folded_top_per_outlet(corpus, django_assert_num_queries):
    with django_assert_num_queries(1):
        by_outlet = stats.descriptors_by_outlet(stats.Scope(), [corpus["alpha"].pk, corpus["beta"].pk])
    assert by_outlet[corpus["alpha"].pk] == [("pentagon", 2)]
    assert by_outlet[corpus["beta"].pk] == [("police", 3)]
    wide = stats.descriptors_by_outlet(stats.Scope(include_unreviewed=True), [corpus["alpha"].pk])
    assert wide[corpus["alpha"].pk] == [("pentagon", 2), ("ukrainian", 1)]
    assert stats.descriptors_by_outlet(stats.Scope(include_unreviewed=True), [corpus["alpha"].pk], limit=1)[
        corpus["alpha"].pk
    ] == [("pentagon", 2)]


def test_top_descriptors_cut_at_ten(db):
    outlet = make_outlet("Many")
    article = make_article(outlet=outlet, state=ArticleState.REVIEWED)
    for i in range(12):
        for _ in range(i + 1):
            anonymous(article, descriptor=f"D{i:02d}")
    count_all()
    top = stats.descriptors_by_outlet(stats.Scope(), [outlet.pk])[outlet.pk]
    assert len(top) == 10
    assert top[0] == ("d11", 12) and top[-1] == ("d02", 3)


def test_monthly_trends(corpus, django_assert_num_queries):
    with django_assert_num_queries(1):
        months = stats_outlet.monthly_trends(stats.Scope(), corpus["alpha"])
    assert [m.month for m in months] == [dt.date(2025, 1, 1), dt.date(2025, 2, 1)]
    jan, feb = months
    assert jan.anonymous == p(2, 3) and jan.articles_with_anonymous == p(1, 1)
    assert jan.justified == p(1, 2) and jan.unsourced == p(1, 3)
    assert feb.anonymous == p(0, 3) and feb.articles_with_anonymous == p(0, 1)
    assert feb.justified.value is None and feb.unsourced == p(1, 2)
    wide = stats_outlet.monthly_trends(stats.Scope(include_unreviewed=True), corpus["alpha"])
    assert wide[1].anonymous == p(1, 5) and wide[1].articles_with_anonymous == p(1, 2)
    assert wide[1].unsourced == p(3, 4)


def test_months_without_data_are_gaps(db):
    outlet = make_outlet("Gappy")
    for month in (1, 4):
        article = make_article(outlet=outlet, state=ArticleState.REVIEWED, published=dt.date(2025, month, 3))
        anonymous(article)
    count_all()
    months = stats_outlet.monthly_trends(stats.Scope(), outlet)
    assert [m.month.month for m in months] == [1, 2, 3, 4]
    assert months[1].anonymous.value is None and months[3].anonymous == p(1, 1)
    assert stats_outlet.monthly_trends(stats.Scope(), make_outlet("Nothing")) == []


def test_anonymous_share_by_month_for_comparison(corpus, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = stats_outlet.anonymous_share_by_month(stats.Scope(), [corpus["alpha"].pk, corpus["beta"].pk])
    assert rows[corpus["alpha"].pk] == {dt.date(2025, 1, 1): p(2, 3), dt.date(2025, 2, 1): p(0, 3)}
    assert rows[corpus["beta"].pk] == {dt.date(2025, 1, 1): p(3, 10)}


def test_leaning_articles(corpus, django_assert_num_queries):
    outlet = corpus["alpha"]
    extra = make_article(outlet=outlet, state=ArticleState.REVIEWED, published=dt.date(2025, 3, 1), title="Few")
    anonymous(extra)
    anonymous(extra)  # 2 of 2 anonymous but under 3 attributions: left out
    heavy = make_article(outlet=outlet, state=ArticleState.REVIEWED, published=dt.date(2025, 3, 2), title="Heavy")
    for _ in range(3):
        anonymous(heavy)
    named(heavy)
    count_all()
    with django_assert_num_queries(1):
        leaning = stats_outlet.leaning_articles(stats.Scope(), outlet)
    assert [a.title for a in leaning] == ["Heavy", "A one"]  # 3/4 then 2/3; "A two" has none
    assert stats_outlet.leaning_share(leaning[0]) == p(3, 4)
    assert stats_outlet.leaning_share(leaning[1]) == p(2, 3)
    # with the switch, "A three" (in review: a proposed anonymous attribution and a named one) still has under 3
    wide = stats_outlet.leaning_articles(stats.Scope(include_unreviewed=True), outlet)
    assert [a.title for a in wide] == ["Heavy", "A one"]
    assert stats_outlet.leaning_articles(stats.Scope(date_to=dt.date(2025, 2, 28)), outlet)[0].title == "A one"


def test_examples_point_at_their_sentence(corpus, django_assert_num_queries):
    with django_assert_num_queries(1):
        examples = stats_outlet.anonymous_examples(stats.Scope(), corpus["alpha"])
    assert {e.attribution.pk for e in examples} == {corpus["anon1"].pk, corpus["anon2"].pk}
    example = next(e for e in examples if e.attribution.pk == corpus["anon1"].pk)
    assert example.source == ANON
    assert example.sentence.startswith("A senior official, who spoke")
    assert example.anchor == f"sentence-{corpus['anon1'].sentence_id}"
    # with the switch, the proposal in the article in review comes first (the most recent article)
    wide = stats_outlet.anonymous_examples(stats.Scope(include_unreviewed=True), corpus["alpha"])
    assert wide[0].attribution.article_id == corpus["a3"].pk and len(wide) == 3


def test_sorting_puts_no_data_last(corpus):
    figures = stats.outlet_figures(stats.Scope())
    down = [f.outlet.name for f in stats.sort_figures(figures, "anonymous", descending=True)]
    up = [f.outlet.name for f in stats.sort_figures(figures, "anonymous", descending=False)]
    assert down == ["Alpha", "Beta", "Gamma"]  # 33% > 30%
    assert up == ["Beta", "Alpha", "Gamma"]
    assert [f.outlet.name for f in stats.sort_figures(figures, "bogus", False)] == ["Alpha", "Beta", "Gamma"]


def test_scope_form():
    form = stats.ScopeForm({"from": "2025-01-01", "to": "2025-03-31", "unreviewed": "1"})
    assert form.scope() == stats.Scope(dt.date(2025, 1, 1), dt.date(2025, 3, 31), True)
    assert stats.ScopeForm({"from": "2025-04-01", "to": "2025-03-31"}).scope() == stats.Scope()
    assert stats.ScopeForm({"from": "not a date"}).scope() == stats.Scope()
    assert stats.ScopeForm(None).scope() == stats.Scope()


@pytest.mark.parametrize(
    "scope",
    [stats.Scope(), stats.Scope(include_unreviewed=True), stats.Scope(date_from=dt.date(2025, 2, 1))],
    ids=["reviewed", "unreviewed", "from-february"],
)
def test_outlet_report_sums_months_to_the_outlet_figures(corpus, scope, django_assert_num_queries):
    """The outlet page adds up its monthly counts: the same figures as the overview, undated articles included."""
    undated = make_article(outlet=corpus["alpha"], state=ArticleState.REVIEWED, title="Undated")
    anonymous(undated, descriptor="Undated")
    named(undated)
    label(undated, S, U, U)
    count_all()
    expected = by_name(stats.outlet_figures(scope))
    for name in ("Alpha", "Beta", "Gamma"):
        with django_assert_num_queries(1):
            figures, _months = stats_outlet.outlet_report(scope, expected[name].outlet)
        assert figures == expected[name], name
    alpha = expected["Alpha"]
    if scope == stats.Scope():
        assert alpha.articles == 3 and alpha.anonymous == p(3, 8) and alpha.unsourced == p(4, 8)


def test_example_marks_the_source_mention(corpus):
    example = stats_outlet.anonymous_examples(stats.Scope(), corpus["alpha"])[0]
    before, mention, after = example.parts
    assert mention == ANON and before == "" and after.startswith(", who spoke")
