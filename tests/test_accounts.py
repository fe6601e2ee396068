"""Accounts and roles: log in, log out, change the password; the editor and standards groups."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from annotations.roles import is_editor, is_standards
from tests.factories import make_article, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Sourcing-1"


def test_the_role_groups_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= {"editor", "standards"}


def test_roles():
    editor, standards = make_user(role="editor"), make_user(role="standards")
    nobody, staff = make_user(role=None), make_user(role=None, is_staff=True)
    assert (is_editor(editor), is_standards(editor)) == (True, False)
    assert (is_editor(standards), is_standards(standards)) == (True, True)
    assert (is_editor(nobody), is_standards(nobody)) == (False, False)
    assert (is_editor(staff), is_standards(staff)) == (True, True)


def test_login_page_renders_the_form(client):
    response = client.get(reverse("login") + "?next=/articles/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in html and 'name="password"' in html
    assert 'name="next" value="/articles/"' in html
    assert "Please log in to see that page." in html
    assert 'autocomplete="current-password"' in html


def test_login_goes_to_home_or_to_next(client):
    make_user("eddie", role="editor")
    response = client.post(reverse("login"), {"username": "eddie", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    client.logout()
    response = client.post(reverse("login"), {"username": "eddie", "password": PASSWORD, "next": "/articles/"})
    assert response["Location"] == "/articles/"


def test_login_does_not_follow_a_foreign_next(client):
    make_user("eddie", role="editor")
    response = client.post(
        reverse("login"), {"username": "eddie", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_wrong_password_is_refused_with_a_message_and_the_username_kept(client):
    make_user("eddie", role="editor")
    response = client.post(reverse("login"), {"username": "eddie", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "did not match" in html
    assert 'value="eddie"' in html
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_goes_to_the_login_page(client):
    client.force_login(make_user(role="editor"))
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_every_page_offers_logout_and_password_change(client):
    client.force_login(make_user(role="editor"))
    html = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("logout")}"' in html
    assert f'href="{reverse("password_change")}"' in html


def test_password_change(client):
    user = make_user("eddie", role="editor")
    client.force_login(user)
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": "a-new-Pass-4821", "new_password2": "a-new-Pass-4821"},
    )
    assert response.status_code == 200
    assert "incorrect" in response.content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "a-new-Pass-4821", "new_password2": "a-new-Pass-4821"},
    )
    assert response["Location"] == reverse("password_change_done")
    assert client.get(reverse("password_change_done")).status_code == 200
    user.refresh_from_db()
    assert user.check_password("a-new-Pass-4821")
    client.logout()
    assert client.login(username="eddie", password="a-new-Pass-4821")


def test_password_change_needs_login(client):
    response = client.get(reverse("password_change"))
    assert response["Location"].startswith(reverse("login"))


def test_navigation_depends_on_the_role(client):
    client.force_login(make_user(role="editor"))
    html = client.get(reverse("articles")).content.decode()
    assert f'href="{reverse("home")}"' in html
    assert f'<a href="{reverse("articles")}" aria-current="page">Articles</a>' in html
    assert f'href="{reverse("import")}"' not in html
    assert "· editor" in html

    client.force_login(make_user(role="standards"))
    html = client.get(reverse("import")).content.decode()
    assert f'<a href="{reverse("import")}" aria-current="page">Import</a>' in html
    assert "· standards" in html


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, {"home": 403, "articles": 403, "history": 403, "import": 403, "assign": 403}),
        ("editor", {"home": 200, "articles": 200, "history": 200, "import": 403, "assign": 403}),
        ("standards", {"home": 200, "articles": 200, "history": 200, "import": 200, "assign": 302}),
    ],
)
def test_what_each_role_may_do(client, role, expected):
    article = make_article()
    client.force_login(make_user(role=role))
    got = {
        "home": client.get(reverse("home")).status_code,
        "articles": client.get(reverse("articles")).status_code,
        "history": client.get(reverse("article_history", args=[article.pk])).status_code,
        "import": client.get(reverse("import")).status_code,
        "assign": client.post(reverse("article_assign", args=[article.pk]), {"assignee": ""}).status_code,
    }
    assert got == expected


def test_staff_admins_act_as_standards(client):
    client.force_login(make_user(role=None, is_staff=True))
    assert client.get(reverse("import")).status_code == 200
    assert f'href="{reverse("admin:index")}"' in client.get(reverse("home")).content.decode()


def test_inactive_users_cannot_log_in(client):
    make_user("gone", role="editor", is_active=False)
    response = client.post(reverse("login"), {"username": "gone", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
