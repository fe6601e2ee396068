"""Double review when plans change: an unsubmitted layer given to another editor, a review called off."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotations import services
from annotations.models import (
    Article,
    ArticleCounts,
    ArticleState,
    Attribution,
    DoubleReview,
    DoubleReviewStage,
    Event,
    ReviewLayer,
    ReviewState,
)
from tests.factories import make_article, make_attribution, make_double_review, make_user, review_layer

pytestmark = pytest.mark.django_db

DETAIL_QUERIES = 6  # session, user, role, review, layers with their decisions so far, the editor choices


@pytest.fixture
def article():
    article = make_article()
    make_attribution(article, source="Finance Minister Anna Berg", cue="said", content="the budget would pass")
    make_attribution(article, source="A senior official", cue="said it", content="might not", source_type="anonymous")
    return article


@pytest.fixture
def review(article, anna, ben, chief):
    return make_double_review(article, [anna, ben], by=chief)


def layer(review, editor) -> ReviewLayer:
    return review.layers.select_related("article", "editor").get(editor=editor)


# --- reassigning a layer ----------------------------------------------------------------------------------


def test_a_layer_given_to_another_editor_starts_from_a_fresh_copy(review, article, anna, ben, cleo, chief):
    old = layer(review, ben)
    review_layer(old, decide=["reject", "confirm"], submit=False)
    old_copy = old.article_id

    services.double_review_layer_reassign(article_id=article.pk, position=old.position, editor=cleo, by=chief)

    new = layer(review, cleo)
    assert new.position == old.position and not ReviewLayer.objects.filter(review=review, editor=ben).exists()
    assert not Article.objects.filter(pk=old_copy).exists()
    copy = new.article
    assert copy.state == ArticleState.LAYER and copy.assignee == cleo
    rows = list(Attribution.objects.filter(article=copy))
    assert len(rows) == 2 and {a.review_state for a in rows} == {ReviewState.PROPOSED}
    assert sorted(new.attribution_map.values()) == sorted(
        Attribution.objects.filter(article=article).values_list("pk", flat=True)
    )
    assert ArticleCounts.objects.get(article=copy).p_total == 2
    # Anna's layer is untouched
    assert layer(review, anna).article.state == ArticleState.LAYER
    event = Event.objects.filter(article_id=article.pk, action="layer_reassign").get()
    assert event.before == {"editor": "ben", "decisions": 2} and event.after == {"editor": "cleo", "layer": 1}
    assert event.actor == chief and "2 decisions of ben discarded" in event.note


def test_the_new_editor_can_finish_and_the_review_closes(review, article, anna, ben, cleo, chief):
    services.double_review_layer_reassign(article_id=article.pk, position=1, editor=cleo, by=chief)
    review_layer(layer(review, anna), decide=["confirm", "confirm"])
    review_layer(layer(review, cleo), decide=["confirm", "reject"])
    review.refresh_from_db()
    assert review.stage == DoubleReviewStage.ADJUDICATION
    assert review.disagreements >= 1


def test_a_submitted_layer_or_someone_already_reviewing_cannot_be_reassigned(review, article, anna, ben, cleo, chief):
    review_layer(layer(review, anna), decide=["confirm", "confirm"])
    with pytest.raises(ValidationError, match="already submitted"):
        services.double_review_layer_reassign(article_id=article.pk, position=0, editor=cleo, by=chief)
    with pytest.raises(ValidationError, match="already reviews"):
        services.double_review_layer_reassign(article_id=article.pk, position=1, editor=anna, by=chief)
    with pytest.raises(ValidationError, match="not an active editor"):
        services.double_review_layer_reassign(
            article_id=article.pk, position=1, editor=make_user("reader", role=None), by=chief
        )
    assert layer(review, ben).article.state == ArticleState.LAYER
    assert not Event.objects.filter(action="layer_reassign").exists()


def test_a_waiting_review_changes_its_editor_only(anna, ben, cleo, chief):
    waiting = make_article(state=ArticleState.IMPORTED)
    review = make_double_review(waiting, [anna, ben], by=chief)
    assert review.stage == DoubleReviewStage.WAITING
    services.double_review_layer_reassign(article_id=waiting.pk, position=0, editor=cleo, by=chief)
    assert layer(review, cleo).article_id is None
    assert Article.objects.filter(state=ArticleState.LAYER).count() == 0


# --- calling a review off ---------------------------------------------------------------------------------


def test_calling_off_an_open_review_returns_the_article_with_its_proposals(review, article, anna, ben, chief):
    review_layer(layer(review, anna), decide=["confirm", "reject"])
    copies = list(review.layers.values_list("article_id", flat=True))

    services.double_review_cancel(article_id=article.pk, by=chief)

    article.refresh_from_db()
    assert article.state == ArticleState.PREPASSED
    assert ArticleCounts.objects.get(article=article).state == ArticleState.PREPASSED
    assert not DoubleReview.objects.filter(article=article).exists()
    assert not Article.objects.filter(pk__in=copies).exists()
    assert set(Attribution.objects.filter(article=article).values_list("review_state", flat=True)) == {
        ReviewState.PROPOSED
    }
    event = Event.objects.filter(article_id=article.pk, action="double_review_cancel").get()
    assert event.before["editors"] == ["anna", "ben"] and event.before["submitted"] == ["anna"]
    assert event.before["decisions"] >= 2 and event.after == {"state": ArticleState.PREPASSED}
    # it can be marked again
    again = make_double_review(article, [anna, ben], by=chief)
    assert again.stage == DoubleReviewStage.OPEN


def test_a_closed_review_cannot_be_called_off_or_reassigned(review, article, anna, ben, cleo, chief):
    review_layer(layer(review, anna), decide=["confirm", "confirm"])
    review_layer(layer(review, ben), decide=["confirm", "reject"])
    with pytest.raises(ValidationError, match="only be adjudicated"):
        services.double_review_cancel(article_id=article.pk, by=chief)
    with pytest.raises(ValidationError, match="only be adjudicated"):
        services.double_review_layer_reassign(article_id=article.pk, position=0, editor=cleo, by=chief)
    assert DoubleReview.objects.filter(article=article).exists()


def test_calling_off_a_waiting_review_leaves_the_article_waiting(anna, ben, chief):
    waiting = make_article(state=ArticleState.IMPORTED)
    make_double_review(waiting, [anna, ben], by=chief)
    services.double_review_cancel(article_id=waiting.pk, by=chief)
    waiting.refresh_from_db()
    assert waiting.state == ArticleState.IMPORTED
    assert not DoubleReview.objects.exists()


# --- the page --------------------------------------------------------------------------------------------


def test_only_standards_editors_see_or_change_a_double_review(client, review, article, anna):
    url = reverse("double_review_detail", args=[article.pk])
    client.force_login(anna)
    assert client.get(url).status_code == 403
    assert client.post(reverse("double_review_cancel", args=[article.pk]), {"confirm": "on"}).status_code == 403
    assert DoubleReview.objects.filter(article=article).exists()


def test_the_page_shows_progress_and_reassigns(client, review, article, anna, ben, cleo, chief,
                                               django_assert_max_num_queries):  # fmt: skip
    review_layer(layer(review, anna), decide=["confirm", "reject"], submit=False)
    client.force_login(chief)
    url = reverse("double_review_detail", args=[article.pk])
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(url)
    html = response.text
    assert response.status_code == 200 and response["Vary"] and "HX-Request" in response["Vary"]
    assert 'id="layer-0"' in html and ">2<" in html  # anna's decisions so far, not what they are
    assert 'action="' + reverse("double_review_reassign", args=[article.pk]) + '"' in html
    assert ">cleo<" in html and "Choose an editor" in html

    response = client.post(reverse("double_review_reassign", args=[article.pk]), {"position": 0, "editor": cleo.pk})
    assert response.status_code == 302 and response["Location"] == url
    assert layer(review, cleo).position == 0
    assert "anna&#x27;s layer is now cleo&#x27;s" in client.get(url).text


def test_bad_reassignments_and_an_unticked_cancel_answer_422_and_change_nothing(client, review, article, anna, chief):
    client.force_login(chief)
    response = client.post(reverse("double_review_reassign", args=[article.pk]), {"position": 0, "editor": anna.pk})
    assert response.status_code == 422 and "Select a valid choice" in response.text
    response = client.post(reverse("double_review_reassign", args=[article.pk]), {"position": 7})
    assert response.status_code == 422
    response = client.post(reverse("double_review_cancel", args=[article.pk]), {})
    assert response.status_code == 422 and "Tick the box to confirm" in response.text
    assert layer(review, anna).article_id and DoubleReview.objects.filter(article=article).exists()


def test_cancel_from_the_page_goes_back_to_the_list(client, review, article, chief):
    client.force_login(chief)
    response = client.post(reverse("double_review_cancel", args=[article.pk]), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("double_reviews"))
    article.refresh_from_db()
    assert article.state == ArticleState.PREPASSED
    assert "called off" in client.get(reverse("double_reviews")).text


def test_the_list_links_open_reviews_to_their_page(client, review, article, chief):
    client.force_login(chief)
    html = client.get(reverse("double_reviews")).text
    assert reverse("double_review_detail", args=[article.pk]) in html
