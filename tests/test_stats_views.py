"""The scorecard pages: roles, what they show, filters, htmx fragments, downloads, and a fixed query count."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.models import ArticleState, ReviewState, SourceType
from annotations.roles import EDITOR, STANDARDS
from tests.factories import make_article, make_attribution, make_outlet, make_user
from tests.test_stats import anonymous, corpus, count_all, named  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def role_groups(db):
    """A transactional (browser) test run before this one flushes the groups the migration made."""
    for name in (EDITOR, STANDARDS):
        Group.objects.get_or_create(name=name)


@pytest.fixture
def standards_client(client):
    client.force_login(make_user(role="standards"))
    return client


# --- who may look ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [("scorecard", []), ("scorecard_outlet", ["alpha"]), ("scorecard_compare", []), ("scorecard_download", ["csv"])],
)
def test_anonymous_goes_to_login(client, name, args):
    make_outlet("Alpha")
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_roles(client):
    make_outlet("Alpha")
    url = reverse("scorecard")
    client.force_login(make_user(role=None))
    assert client.get(url).status_code == 403
    client.force_login(make_user(role="editor"))  # editors see the figures too (read-only)
    assert client.get(url).status_code == 200
    client.force_login(make_user(role="standards"))
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


def test_nav_links_to_the_scorecard(standards_client):
    response = standards_client.get(reverse("scorecard"))
    assert f'href="{reverse("scorecard")}" aria-current="page"' in response.text


# --- the overview -----------------------------------------------------------------------------------


def test_overview_shows_counts_intervals_and_no_data(standards_client, corpus):  # noqa: F811
    response = standards_client.get(reverse("scorecard"))
    assert response.status_code == 200
    html = response.text
    assert "Reviewed articles only" in html and "Unreviewed figures" not in html
    # Beta: 3 of 10 anonymous, 30% [11%, 60%]
    assert "3/10 · 11%–60%" in html
    # Alpha: 2 of 6 anonymous
    assert "2/6 · 9.7%–70%" in html
    # Gamma has no reviewed article: no data, never 0%
    gamma_row = html.split(">Gamma</a>")[1].split("</tr>")[0]
    assert "no data" in gamma_row and "0%" not in gamma_row
    assert "<svg" in html and "<title" in html and 'role="img"' in html
    assert 'style="' not in html and "<style" not in html  # CSP: no inline styles
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_overview_unreviewed_switch_says_so(standards_client, corpus):  # noqa: F811
    html = standards_client.get(reverse("scorecard"), {"unreviewed": "1"}).text
    assert "Unreviewed figures" in html
    assert "3/8" in html  # Alpha with the proposal in review


def test_overview_date_range_and_bad_range(standards_client, corpus):  # noqa: F811
    html = standards_client.get(reverse("scorecard"), {"from": "2025-02-01"}).text
    assert "0/3" in html  # Alpha in February: no anonymous attribution
    html = standards_client.get(reverse("scorecard"), {"from": "2025-03-01", "to": "2025-01-01"}).text
    assert "The start date is after the end date." in html
    assert "2/6" in html  # the filter was not applied


def test_overview_sorting_and_htmx_fragment(standards_client, corpus):  # noqa: F811
    response = standards_client.get(
        reverse("scorecard"), {"sort": "anonymous", "dir": "asc"}, headers={"HX-Request": "true"}
    )
    html = response.text
    assert "<html" not in html and html.lstrip().startswith('<div id="results"')
    assert html.index(">Beta</a>") < html.index(">Alpha</a>") < html.index(">Gamma</a>")
    assert 'aria-sort="ascending"' in html
    # the sort links work without JavaScript too
    assert 'href="?sort=anonymous&amp;dir=desc"' in html


# --- one outlet -------------------------------------------------------------------------------------------


def test_outlet_page(standards_client, corpus):  # noqa: F811
    response = standards_client.get(reverse("scorecard_outlet", args=["alpha"]))
    assert response.status_code == 200
    html = response.text
    assert "2 of 6 attributions" in html and "1 of 2 articles" in html
    assert "95% interval 9.7%–70%" in html
    assert "pentagon" in html
    a1, anon1 = corpus["a1"], corpus["anon1"]
    assert f"{reverse('review', args=[a1.pk])}#sentence-{anon1.sentence_id}" in html
    assert f'href="{reverse("review", args=[a1.pk])}"' in html  # leaning articles
    assert html.count('class="sc-chart sc-trend"') == 4
    assert "Month published" in html
    assert 'style="' not in html


def test_outlet_page_no_data(standards_client, corpus):  # noqa: F811
    html = standards_client.get(reverse("scorecard_outlet", args=["gamma"])).text
    assert "No data" in html and "not a score of zero" in html
    html = standards_client.get(reverse("scorecard_outlet", args=["gamma"]), {"unreviewed": "1"}).text
    assert "1 of 1 attributions" in html and "Unreviewed figures" in html


def test_outlet_page_htmx_fragment(standards_client, corpus):  # noqa: F811
    response = standards_client.get(
        reverse("scorecard_outlet", args=["alpha"]), {"from": "2025-02-01"}, headers={"HX-Request": "true"}
    )
    assert response.text.lstrip().startswith('<div id="results"')
    assert "0 of 3 attributions" in response.text
    assert "HX-Request" in response["Vary"]


def test_unknown_outlet_404(standards_client):
    assert standards_client.get(reverse("scorecard_outlet", args=["nope"])).status_code == 404


# --- comparison ----------------------------------------------------------------------------------------------


def test_compare(standards_client, corpus):  # noqa: F811
    url = reverse("scorecard_compare")
    html = standards_client.get(url).text
    assert "Choose at least two outlets" in html
    html = standards_client.get(url, {"outlet": ["alpha", "beta", "gamma"]}).text
    assert "3/10 · 11%–60%" in html and "2/6 · 9.7%–70%" in html
    assert html.count('class="sc-chart sc-dotplot"') == 6
    assert "Anonymous share of attributions per month" in html
    assert "no data" in html  # Gamma
    assert 'value="alpha" checked' in html
    assert 'style="' not in html


# --- downloads -------------------------------------------------------------------------------------------------


def test_download_csv_and_json(standards_client, corpus):  # noqa: F811
    make_outlet("=HYPERLINK(1)")
    response = standards_client.get(reverse("scorecard_download", args=["csv"]))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = {row["outlet"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert "'=HYPERLINK(1)" in rows  # formula-like cells neutralised
    beta = rows["Beta"]
    assert (beta["anonymous_numerator"], beta["anonymous_denominator"], beta["anonymous_share"]) == ("3", "10", "0.3")
    assert (beta["anonymous_ci95_low"], beta["anonymous_ci95_high"]) == ("0.1078", "0.6032")
    assert rows["Gamma"]["anonymous_share"] == "" and rows["Gamma"]["articles"] == "0"
    assert rows["Alpha"]["top_anonymous_descriptors"] == "pentagon (2)"
    assert rows["Alpha"]["named_sources_per_article"] == "1.5"

    data = json.loads(
        standards_client.get(
            reverse("scorecard_download", args=["json"]), {"outlet": ["alpha"], "unreviewed": "1"}
        ).content
    )
    assert data["scope"]["include_unreviewed"] is True
    (alpha,) = data["outlets"]
    assert alpha["anonymous"] == {
        "numerator": 3,
        "denominator": 8,
        "value": 0.375,
        "ci95_low": 0.1368,
        "ci95_high": 0.6943,
    }
    assert alpha["named_sources_per_article"] == {"numerator": 4, "denominator": 3, "value": 1.3333}
    assert alpha["top_anonymous_descriptors"][0] == {"descriptor": "pentagon", "count": 2}
    assert standards_client.get(reverse("scorecard_download", args=["xml"])).status_code == 404


# --- a fixed number of queries, whatever the number of outlets -------------------------------------------------


def _outlets(n: int, prefix: str) -> list[str]:
    slugs = []
    for i in range(n):
        outlet = make_outlet(f"{prefix} {i:02d}")
        for month in (1, 2):
            article = make_article(outlet=outlet, state=ArticleState.REVIEWED, published=dt.date(2025, month, 9))
            anonymous(article, descriptor=f"desc {i}", justified=bool(i % 2))
            named(article)
            make_attribution(
                article,
                source="A senior official",
                cue=None,
                source_type=SourceType.ANONYMOUS,
                review_state=ReviewState.ADDED,
                anon_descriptor="other",
            )
        slugs.append(outlet.slug)
    count_all()
    return slugs


def _url(page: str, slugs: list[str]) -> tuple[str, dict]:
    return {
        "overview": (reverse("scorecard"), {}),
        "outlet": (reverse("scorecard_outlet", args=[slugs[0]]), {}),
        "compare": (reverse("scorecard_compare"), {"outlet": slugs[:6]}),
        "csv": (reverse("scorecard_download", args=["csv"]), {}),
        "json": (reverse("scorecard_download", args=["json"]), {}),
    }[page]


# session, user and groups (3), then: overview = outlets + counts by outlet; outlet page = outlet + counts by
# month + descriptors + examples + leaning articles; compare = outlets + counts + descriptors + counts by month;
# downloads = outlets + counts + descriptors
LIMITS = {"overview": 5, "outlet": 8, "compare": 7, "csv": 6, "json": 6}


@pytest.mark.parametrize("view", sorted(LIMITS))
def test_query_count_does_not_grow_with_outlets(standards_client, view, django_assert_max_num_queries):
    """The same number of queries with 2 outlets as with 10 (a comparison of 2 as of 6)."""
    counts = []
    slugs = _outlets(2, "First")
    for _round in range(2):
        url, params = _url(view, slugs)
        standards_client.get(url, params)  # session and user warm
        with django_assert_max_num_queries(LIMITS[view]), CaptureQueriesContext(connection) as captured:
            response = standards_client.get(url, params)
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
        slugs = slugs + _outlets(8, "Then")
    assert counts[0] == counts[1], counts


def test_figures_follow_every_review_write(standards_client, corpus):  # noqa: F811
    """No result cache: the summary rows the services keep exact are read on every request."""
    url = reverse("scorecard_outlet", args=["alpha"])
    assert "2 of 6 attributions" in standards_client.get(url).text
    editor = make_user(role="editor")
    anon2 = corpus["anon2"]
    services.attribution_reject(attribution_id=anon2.pk, user=editor, version=anon2.version)
    assert "1 of 5 attributions" in standards_client.get(url).text
    assert "1/5" in standards_client.get(reverse("scorecard")).text
