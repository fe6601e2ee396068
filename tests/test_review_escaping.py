"""The review page escapes what editors and the pre-pass wrote, on the page and in every htmx fragment.

Article texts, outlet names, bylines, usernames, descriptors and "via" outlets carry script tags, attribute
break-outs, quotes and ampersands; every response is checked on its raw HTML (the payload never appears as
markup) and parsed (it appears as text, and no element or event-handler attribute came from it). A last
check reads the source of ``annotations/views/``: markup lives in templates, never in Python strings.
"""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from annotations import services
from annotations.models import Article, Attribution, ReviewState, Sentence, SourceType
from annotations.views.review import highlight
from tests.factories import make_article, make_attribution, make_outlet, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
AMP = "Smith & \"Jones\" 'Ltd'"
PAYLOADS = (SCRIPT, BREAKOUT, AMP)
BODY = (
    f"Anna {SCRIPT} Berg said the budget of {AMP} would pass {BREAKOUT}. "
    "A senior official, who spoke on condition of anonymity because talks were private, said it might not. "
    "The bridge cost 40 million euros."
)
BARE_AMPERSAND = re.compile(r"&(?![A-Za-z]+;|#[0-9]+;|#x[0-9A-Fa-f]+;)")
VIEWS = Path(__file__).resolve().parent.parent / "annotations" / "views"


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def assert_escaped(html: str, *shown: str) -> None:
    """No payload as markup in ``html``; each of ``shown`` is there as text (or an attribute's value)."""
    assert SCRIPT not in html
    assert "<img" not in html
    assert not BARE_AMPERSAND.search(html), BARE_AMPERSAND.search(html)
    parsed = _Parsed()
    parsed.feed(html)
    parsed.close()
    for tag, attrs in parsed.tags:
        assert tag != "img", attrs
        assert tag != "script" or attrs.get("src"), "an inline script"
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    text = "".join(parsed.text)
    values = [v for _, attrs in parsed.tags for v in attrs.values() if v]
    for payload in shown:
        assert payload in text or payload in values, payload


@pytest.fixture
def nasty():
    editor = make_user(username=f"ed{BREAKOUT}", role="editor")
    other = make_user(username=f"other{SCRIPT}&'", role="editor")
    outlet = make_outlet(name=f"Gazette {SCRIPT} {AMP}")
    article = make_article(outlet=outlet, body=BODY, title=f"Title {BREAKOUT} {AMP}", byline=f"By {SCRIPT} {AMP}")
    berg = make_attribution(
        article,
        source=f"Anna {SCRIPT} Berg",
        cue="said",
        content=f"the budget of {AMP} would pass {BREAKOUT}",
        via=f"Via {BREAKOUT} {AMP}",
        quote_kind="indirect",
    )
    official = make_attribution(
        article,
        source="A senior official",
        cue="said it",
        content="might not",
        source_type=SourceType.ANONYMOUS,
        confidence=0.3,
        anon_descriptor=f"desc {SCRIPT} {AMP}",
        anon_justification_start=BODY.index("who spoke"),
        anon_justification_end=BODY.index(" said it"),
    )
    services.attribution_confirm(attribution_id=official.pk, user=other, version=1)
    return {"editor": editor, "other": other, "article": article, "berg": berg, "official": official}


def test_the_page_escapes_every_text(client, nasty):
    article = nasty["article"]
    client.force_login(nasty["editor"])
    html = client.get(article.get_absolute_url()).content.decode()
    shown = (
        f"Title {BREAKOUT} {AMP}",
        f"Gazette {SCRIPT} {AMP}",
        f"By {SCRIPT} {AMP}",
        f"Anna {SCRIPT} Berg",  # the highlighted body, the card, and the datalist
        f"the budget of {AMP} would pass {BREAKOUT}",
        f"via Via {BREAKOUT} {AMP}",
        f"desc {SCRIPT} {AMP}",
        f"Confirmed by other{SCRIPT}&'",
    )
    assert_escaped(html, *shown)
    assert_escaped(client.get(article.get_absolute_url(), **HX).content.decode(), *shown)


def test_the_open_editor_and_a_read_only_page_escape_every_text(client, nasty):
    article, berg = nasty["article"], nasty["berg"]
    client.force_login(nasty["editor"])
    html = client.get(article.get_absolute_url() + f"?edit={berg.pk}").content.decode()
    assert_escaped(html, f"Via {BREAKOUT} {AMP}")  # the "via" field's value
    held = {"assignee": nasty["editor"], "lease_expires_at": timezone.now() + timedelta(hours=1)}
    Article.objects.filter(pk=article.pk).update(**held)
    client.force_login(nasty["other"])
    html = client.get(article.get_absolute_url()).content.decode()
    assert 'class="labels"' not in html  # read-only: the labels as text
    assert_escaped(html, f"ed{BREAKOUT} is reviewing this article", f"Anna {SCRIPT} Berg")


def test_card_fragments_escape_every_text(client, nasty):
    berg, official = nasty["berg"], nasty["official"]
    client.force_login(nasty["editor"])
    card = reverse("review_card", args=[berg.pk])
    assert_escaped(client.get(card, **HX).content.decode(), f"via Via {BREAKOUT} {AMP}", f"Anna {SCRIPT} Berg")
    assert_escaped(client.get(card + "?edit=1", **HX).content.decode(), f"Via {BREAKOUT} {AMP}")
    card = reverse("review_card", args=[official.pk])
    assert_escaped(client.get(card, **HX).content.decode(), f"desc {SCRIPT} {AMP}", f"Confirmed by other{SCRIPT}&'")


def test_action_fragments_and_conflicts_escape_every_text(client, nasty):
    article, berg, official = nasty["article"], nasty["berg"], nasty["official"]
    client.force_login(nasty["editor"])
    # the card, its sentence (out of band) and the progress
    response = client.post(reverse("review_confirm", args=[berg.pk]), {"version": 1}, **HX)
    assert response.status_code == 200
    assert_escaped(response.content.decode(), f"Anna {SCRIPT} Berg", f"Confirmed by ed{BREAKOUT}")
    # a stale card: the conflict names the other editor
    response = client.post(reverse("review_reject", args=[official.pk]), {"version": 1}, **HX)
    assert response.status_code == 409
    assert_escaped(response.content.decode(), f"other{SCRIPT}&'", f"desc {SCRIPT} {AMP}")
    # the same, without JavaScript: the whole page with the conflict on top
    response = client.post(reverse("review_reject", args=[official.pk]), {"version": 1})
    assert response.status_code == 409
    assert_escaped(response.content.decode(), f"other{SCRIPT}&'")
    # a stale sentence label: the row's conflict
    sentence = article.sentences.order_by("index").first()
    services.sentence_label_set(sentence_id=sentence.pk, user=nasty["other"], version=1, label="sourced")
    response = client.post(reverse("review_label", args=[sentence.pk]), {"version": 1, "label": "no_claim"}, **HX)
    assert response.status_code == 409
    assert_escaped(response.content.decode(), f"other{SCRIPT}&'", f"Anna {SCRIPT} Berg")
    # mark reviewed on a stale version: the progress notice names who changed it
    version = Article.objects.get(pk=article.pk).version
    response = client.post(reverse("review_mark_reviewed", args=[article.pk]), {"version": version + 5}, **HX)
    assert response.status_code == 409
    assert_escaped(response.content.decode())


def test_the_add_panel_escapes_what_was_typed(client, nasty):
    article = nasty["article"]
    client.force_login(nasty["editor"])
    data = {"role": "source", "source_type": "named_person", "start": BREAKOUT, "end": SCRIPT, "target": BREAKOUT}
    response = client.post(reverse("review_add", args=[article.pk]), data, **HX)
    assert response.status_code == 422
    assert_escaped(response.content.decode(), BREAKOUT, SCRIPT)
    start = BODY.index("The bridge")
    data = {"role": "source", "source_type": "document", "start": start, "end": start + len("The bridge")}
    response = client.post(reverse("review_add", args=[article.pk]), data, **HX)
    assert response.status_code == 200
    assert_escaped(response.content.decode(), "The bridge")


def test_highlighted_text_is_escaped():
    body = f"{AMP} said {SCRIPT}. {BREAKOUT}"
    sentences = [
        Sentence(pk=1, start=0, end=body.index(". ") + 1),
        Sentence(pk=2, start=body.index(BREAKOUT), end=len(body)),
    ]
    a = Attribution(
        pk=3, source_type="named_person", source_start=0, source_end=len(AMP), review_state=ReviewState.PROPOSED
    )
    highlight(body, sentences, [a])
    assert_escaped(sentences[0].html + sentences[1].html, AMP, SCRIPT, BREAKOUT)


def test_the_jinja2_engine_autoescapes():
    assert engines["jinja2"].env.autoescape is True


# --- no markup in the views' Python --------------------------------------------------------------

TAG = re.compile(r"<\s*/?\s*[A-Za-z][A-Za-z0-9-]*(\s|/?>|$)")
MARKING = {"mark_safe", "format_html", "format_html_join", "SafeString", "SafeText", "Markup"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def markup_in_python(path: Path) -> list[str]:
    """Each string literal (f-string parts included) that holds an HTML tag, and each call that marks a
    string safe, in one module; docstrings aside."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if TAG.search(node.value):
                found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in MARKING:
                found.append(f"{path.name}:{node.lineno}: {name}(...)")
    return found


def test_views_hold_no_markup_in_python():
    found = [hit for path in sorted(VIEWS.glob("*.py")) for hit in markup_in_python(path)]
    assert not found, "HTML belongs in templates:\n" + "\n".join(found)


def test_charts_and_admin_hold_no_markup_in_python():
    package = VIEWS.parent
    found = [hit for name in ("charts.py", "admin.py") for hit in markup_in_python(package / name)]
    assert not found, "HTML belongs in templates:\n" + "\n".join(found)


def test_the_markup_check_finds_html_in_python(tmp_path):
    module = tmp_path / "old.py"
    module.write_text(
        '"""A <b>docstring</b> is fine."""\n'
        "from django.utils.safestring import mark_safe\n"
        "def row(pk, text):\n"
        "    return mark_safe(f'<div id=\"row-{pk}\">{text}</div>')\n"
        "def cell(text):\n"
        "    return '<td>' + text + '</td>'\n"
    )
    found = markup_in_python(module)
    assert any("mark_safe" in hit for hit in found)
    assert any("<div" in hit for hit in found) and any("<td>" in hit for hit in found)
    assert not any("docstring" in hit for hit in found)
