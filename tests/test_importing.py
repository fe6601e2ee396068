"""Parsing and cleaning of uploaded articles (annotations.importing): pure, no database."""

import datetime
import json
import re
from pathlib import Path

import pytest

from annotations.importing import (
    FORMATS,
    ImportProblem,
    OutletUnknown,
    ParsedArticle,
    clean_pasted_text,
    detect_format,
    read_upload,
)

DEMO = Path(__file__).resolve().parent.parent / "annotations" / "demo"
DEMO_TXT = sorted(DEMO.glob("*.txt"))

# Every line of web cruft written into the demo files; nothing else may be removed.
CRUFT = {
    "Add Your Heading Text Here", "Insert your subtitle here",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "Share this:", "Share", "Facebook", "X", "WhatsApp", "Email", "Print", "Bluesky", "Mastodon", "Threads",
    "Like this:", "Like Loading...", "Share on X", "Share on Facebook", "Copy link", "Share this story",
    "Click to share on Facebook (Opens in new window)", "Click to share on X (Opens in new window)",
    "Click to email a link to a friend (Opens in new window)",
    "Leave a Reply", "Leave a comment", "Cancel reply", "3 comments", "Comment *", "Name *", "Email *", "Website",
    "Your email address will not be published. Required fields are marked *",
    "Save my name, email, and website in this browser for the next time I comment.",
    "You must be logged in to post a comment.",
    "Subscribe now to keep reading and get access to the full archive.", "Type your email…", "Subscribe",
    "Continue reading", "Already a subscriber? Sign in", "Get 7 day free trial", "Read more",
    "Related posts", "Related", "Advertisement", "Story continues below advertisement",
    "We use cookies to improve your experience on this site. By continuing to browse, you accept our cookie policy.",
    "Accept all cookies", "Posted in Health, Northfield", "Tags: hospitals, merger, NHS", "Posted in Local news",
    "Tags: Ashby, council, roads", "Topics: culture, council, Harrowdale", "5 min read", "Listen to this article",
    "Photo: Tomas Reyes/Meridian Daily",
    "Discover more from The Harbour Ledger", "Discover more from Meridian Daily",
    "Discover more from Northfield Courier",
    "Subscribe to Northfield Courier", "© 2026 Valley Signal. All rights reserved.", "© 2026 Valley Signal",
    "Thanks for reading Valley Signal! Subscribe for free to receive new posts and support our work.",
}  # fmt: skip
OUTLETS = {"The Harbour Ledger", "Northfield Courier", "Meridian Daily", "Valley Signal"}
QUOTED = re.compile(r"“[^”]*”")


def parse(name: str, data: bytes | str, **kwargs) -> list[ParsedArticle | ImportProblem]:
    return list(read_upload(name, data.encode() if isinstance(data, str) else data, **kwargs))


def articles(items):
    return [i for i in items if isinstance(i, ParsedArticle)]


def problems(items):
    return [i for i in items if isinstance(i, ImportProblem)]


def only_article(items) -> ParsedArticle:
    assert problems(items) == []
    (article,) = items
    return article


# --- detection ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("a.txt", b"{}", "txt"),
        ("a.TEXT", b"x", "txt"),
        ("page.htm", b"x", "html"),
        ("page.html", b"x", "html"),
        ("feed.ndjson", b"x", "jsonl"),
        ("feed.json-lines", b"x", "jsonl"),
        ("feed.jsonl", b"x", "jsonl"),
        ("rows.csv", b"x", "csv"),
        ("upload", b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "html"),
        ("upload", b'\xef\xbb\xbf{"text": "a"}\n', "jsonl"),
        ("upload", b"id,title,text\n1,a,b\n", "csv"),
        ("upload", b"Headline here\n\nSome story text.", "txt"),
    ],
)
def test_detect_format(name, data, fmt):
    assert detect_format(name, data) == fmt


def test_unknown_format_argument_is_a_programming_error():
    assert FORMATS == ("auto", "txt", "html", "jsonl", "csv")
    with pytest.raises(ValueError, match="unknown format"):
        list(read_upload("a.txt", b"x", fmt="pdf"))


# --- demo .txt files -----------------------------------------------------------


def test_demo_has_a_dozen_articles():
    assert len(DEMO_TXT) >= 12
    for path in DEMO_TXT:
        words = len(path.read_text(encoding="utf-8").split())
        assert 120 <= words <= 400, (path.name, words)


@pytest.mark.parametrize("path", DEMO_TXT, ids=lambda p: p.name)
def test_demo_file_cleaned_exactly(path):
    data = path.read_bytes()
    raw = data.decode("utf-8")
    article = only_article(parse(path.name, data))
    lines = raw.split("\n")

    assert article.raw == raw
    assert article.source_format == "txt" and article.source_name == path.name
    assert article.outlet in OUTLETS
    assert article.title == lines[0]  # the headline line, not part of the body
    assert not article.body.startswith(article.title)

    removed = {r["line"]: r for r in article.removed_lines}
    for number, entry in removed.items():
        assert lines[number - 1] == entry["text"]  # 1-based line numbers into the input
        assert entry["reason"]
        if entry["reason"] == "byline":
            assert entry["text"].startswith("By ") and article.byline == entry["text"][3:]
        elif entry["reason"] != "dateline":
            assert entry["text"] in CRUFT, f"story line removed: {entry}"
    for number, line in enumerate(lines, start=1):
        if line in CRUFT:
            assert number in removed, f"cruft kept: {line!r}"
        elif line.strip() and number != 1 and number not in removed:
            assert line in article.body.split("\n"), f"story line lost: {line!r}"

    quotes = QUOTED.findall(raw)
    assert quotes
    for quote in quotes:
        assert quote in article.body
    assert "\n\n\n" not in article.body and article.body == article.body.strip()


def test_demo_characters_kept_exactly():
    body = only_article(parse("07.txt", (DEMO / "07_school_strike.txt").read_bytes())).body
    assert "We are not asking for the moon… we are asking" in body
    assert "“See you at the school gates at 8 ✊📚”." in body
    assert "two teaching assistants for thirty kids — it’s chaos" in body


def test_demo_byline_and_dateline():
    article = only_article(parse("02.txt", (DEMO / "02_budget_talks.txt").read_bytes()))
    assert article.byline == "Henrik Solberg"
    assert article.published == datetime.date(2026, 3, 4)
    assert [r["reason"] for r in article.removed_lines[:2]] == ["byline", "dateline"]


# --- cleaning rules ------------------------------------------------------------


def test_clean_removes_cruft_with_line_numbers_and_reasons():
    text = (
        "Add Your Heading Text Here\n"
        "Port fees rise again\n"
        "\n"
        "The port said fees would rise.\n"
        "Share this:\n"
        "Facebook\n"
        "Nextdoor\n"
        "Leave a Reply\n"
        "* * *\n"
        "Discover more from The Test Gazette\n"
    )
    result = clean_pasted_text(text)
    assert result.title == "Port fees rise again"
    assert result.body == "The port said fees would rise."
    assert result.outlet == "The Test Gazette"
    assert [(r["line"], r["text"]) for r in result.removed_lines] == [
        (1, "Add Your Heading Text Here"),
        (5, "Share this:"),
        (6, "Facebook"),
        (7, "Nextdoor"),
        (8, "Leave a Reply"),
        (9, "* * *"),
        (10, "Discover more from The Test Gazette"),
    ]
    reasons = {r["text"]: r["reason"] for r in result.removed_lines}
    assert reasons["Add Your Heading Text Here"] == "placeholder"
    assert reasons["Nextdoor"] == "share_bar"  # unknown label inside a share bar
    assert reasons["* * *"] == "symbols_only"
    assert reasons["Leave a Reply"] == "comment_form"
    assert reasons["Discover more from The Test Gazette"] == "outlet_line"


@pytest.mark.parametrize(
    "sentence",
    [
        "The council urged residents to sign up for email alerts about flooding.",
        "“Subscribe to nothing you cannot cancel,” the regulator said.",
        "Keep in mind that access to the harbour is limited at low tide, the harbourmaster said.",
        "Readers who leave a reply on the council website will get an answer within a week, officials said.",
        "Share prices fell 4 percent after the announcement.",
        "Related charges were dropped in 2024, court filings show.",
        "Copyright reform is expected to pass next month.",
        "The bakery said its cookies would be sold at the market, and customers could accept or decline.",
    ],
)
def test_story_sentences_are_kept(sentence):
    text = f"Headline for the test\n\nFirst paragraph of the story.\n\n{sentence}\n\nLast paragraph of the story."
    result = clean_pasted_text(text)
    assert sentence in result.body.split("\n")
    assert result.removed_lines == []


def test_headline_rules():
    assert clean_pasted_text("Mayor resigns after audit\n\nThe mayor resigned.").title == "Mayor resigns after audit"
    assert clean_pasted_text("Is the harbour safe?\n\nText.").title == "Is the harbour safe?"
    # a first line that reads like a sentence stays in the body
    result = clean_pasted_text("The mayor resigned on Monday after an audit.\n\nMore text.")
    assert result.title == "" and result.body.startswith("The mayor resigned")
    assert clean_pasted_text("lower-case start of a line\n\nText.").title == ""
    assert clean_pasted_text("Title Here\n\nBody.", take_title=False).body == "Title Here\n\nBody."


@pytest.mark.parametrize(
    ("line", "outlet"),
    [
        ("Discover more from The Harbour Ledger", "The Harbour Ledger"),
        ("Subscribe to Northfield Courier", "Northfield Courier"),
        ("Subscribe to The Harbour Ledger", "The Harbour Ledger"),
        ("© 2024 Meridian Daily", "Meridian Daily"),
        ("© 2024 Meridian Daily. All rights reserved.", "Meridian Daily"),
        ("Copyright 2023 Valley Signal | Privacy", "Valley Signal"),
        ("Thanks for reading Valley Signal! Subscribe for free to receive new posts.", "Valley Signal"),
    ],
)
def test_outlet_recognised(line, outlet):
    result = clean_pasted_text(f"A headline here\n\nStory text said.\n\n{line}\n")
    assert result.outlet == outlet
    assert result.removed_lines[-1]["reason"] == "outlet_line"
    assert line not in result.body


def test_subscribe_to_newsletter_is_not_an_outlet():
    assert clean_pasted_text("A headline here\n\nStory.\n\nSubscribe to our newsletter").outlet == ""


def test_normalisation_crlf_trailing_spaces_blank_lines():
    text = "Headline of the day\r\n\r\nFirst para.   \r\n\r\n\r\n\r\nSecond para.\rThird line.\t\r\n\r\n"
    result = clean_pasted_text(text)
    assert result.body == "First para.\n\nSecond para.\nThird line."
    article = only_article(parse("a.txt", text.encode(), outlet="Test"))
    assert article.body == result.body and "\r" not in article.body
    assert article.raw == text  # raw is kept as received


def test_characters_kept_exactly():
    para = "“Never,” she said — twice… ‘Really’ – ½ 🌊 café"
    result = clean_pasted_text(f"Headline text here\n\n{para}")
    assert result.body == para


# --- txt uploads ---------------------------------------------------------------


def test_txt_without_outlet_is_a_problem():
    items = parse("story.txt", "Headline text here\n\nThe mayor said the budget was fine.")
    (problem,) = items
    assert problem.source == "story.txt" and problem.field == "outlet" and problem.line is None
    assert "--outlet" in problem.message and "Discover more from" in problem.message
    assert "--outlet" in str(OutletUnknown("story.txt"))


def test_txt_outlet_argument_wins():
    text = "Headline text here\n\nStory said.\n\nDiscover more from The Other Paper"
    assert only_article(parse("s.txt", text, outlet="Meridian Daily")).outlet == "Meridian Daily"
    assert only_article(parse("s.txt", text)).outlet == "The Other Paper"


def test_txt_only_cruft_is_a_problem():
    (problem,) = parse("s.txt", "Leave a Reply\nSubscribe\nFacebook\n", outlet="X")
    assert problem.field == "text" and "cruft" in problem.message


def test_bom_accepted_txt():
    article = only_article(parse("s.txt", "\ufeffHeadline text here\n\nStory said.".encode(), outlet="O"))
    assert article.title == "Headline text here" and not article.raw.startswith("\ufeff")


# --- html ------------------------------------------------------------------------


def test_html_demo_page():
    path = DEMO / "extra" / "valley_signal_reservoir.html"
    data = path.read_bytes()
    article = only_article(parse(path.name, data))
    assert article.source_format == "html"
    assert article.raw == data.decode("utf-8")
    assert article.title == "Reservoir levels fall to lowest since 1996"
    assert article.outlet == "Valley Signal"
    assert article.byline == "Nell Carrow"
    assert article.published == datetime.date(2026, 8, 14)
    assert article.url == "https://valleysignal.example/news/reservoir-levels-1996"
    assert article.body.startswith("Water levels in the Harrowdale reservoir")
    for quote in QUOTED.findall(data.decode("utf-8")):
        if "said" not in quote:
            assert quote in article.body
    assert "“If September is as dry as August, we will have to act.”" in article.body
    for cruft in ("Home", "Sport", "cookies", "Related posts", "Discover more", "Type your email", "All rights"):
        assert cruft not in article.body
    assert "\n\n" in article.body  # paragraphs separated by a blank line


def test_html_without_text_is_a_problem():
    (problem,) = parse("empty.html", b"<html><head><title>x</title></head><body><nav>Home</nav></body></html>")
    assert problem.source == "empty.html" and problem.field == "text"
    assert "no article text" in problem.message


# --- jsonl ---------------------------------------------------------------------


def test_jsonl_demo():
    path = DEMO / "extra" / "articles.jsonl"
    items = parse(path.name, path.read_bytes())
    first, second, third = articles(items)
    assert problems(items) == []
    assert first.title == "Lifeboat crew rescues three off Gull Point"
    assert first.outlet == "The Harbour Ledger" and first.external_id == "hl-2026-0311"
    assert first.published == datetime.date(2026, 3, 11) and first.byline == "Tilda Marsh"
    assert first.url.startswith("https://harbourledger.example/")
    assert first.source_name == "articles.jsonl:1" and first.source_format == "jsonl"
    assert json.loads(first.raw)["id"] == "hl-2026-0311"
    assert second.published == datetime.date(2026, 4, 12)  # datetime -> its date
    assert third.source_name == "articles.jsonl:3"
    assert "“There is no plan, there is no buyer and there is no deal,” Berg said." in third.body


def test_jsonl_fields_extra_cleaning_and_title():
    rec = {
        "id": 7,
        "title": "Given title",
        "text": "First line looks Like A Headline\n\nBody said.\nShare this:\nFacebook\nX\n",
        "sentences": [[0, 5]],
        "attributions": [],
    }
    article = only_article(parse("f.jsonl", json.dumps(rec) + "\n", outlet="Fallback Outlet"))
    assert article.title == "Given title"
    assert article.body == "First line looks Like A Headline\n\nBody said."  # title field given: body keeps its line
    assert article.outlet == "Fallback Outlet" and article.external_id == "7"
    assert article.extra == {"sentences": [[0, 5]], "attributions": []}
    assert [r["text"] for r in article.removed_lines] == ["Share this:", "Facebook", "X"]
    no_title = only_article(parse("f.jsonl", json.dumps({"text": "Short Headline Here\n\nBody.", "outlet": "O"})))
    assert no_title.title == "Short Headline Here" and no_title.body == "Body."


def test_jsonl_record_outlet_beats_argument():
    article = only_article(parse("f.jsonl", '{"text": "Body said.", "outlet": "Rec Outlet"}', outlet="Arg"))
    assert article.outlet == "Rec Outlet"


def test_jsonl_bad_lines_reported_and_others_kept():
    lines = [
        '{"text": "One said.", "outlet": "O", "id": "1"}',
        '{"text": "broken',
        "[1, 2]",
        '{"title": "no text", "outlet": "O"}',
        '{"text": "   ", "outlet": "O"}',
        '{"text": "Bad date said.", "outlet": "O", "published": "2026-02-30"}',
        '{"text": "No outlet said."}',
        "",
        '{"text": 5, "outlet": "O"}',
        '{"text": "Last said.", "outlet": "O", "id": "10", "published": "2026-01-02T03:04:05+02:00"}',
    ]
    items = parse("feed.jsonl", "\n".join(lines) + "\n")
    assert [a.external_id for a in articles(items)] == ["1", "10"]
    assert articles(items)[1].published == datetime.date(2026, 1, 2)
    got = [(p.source, p.line, p.field) for p in problems(items)]
    assert got == [
        ("feed.jsonl", 2, None),
        ("feed.jsonl", 3, None),
        ("feed.jsonl", 4, "text"),
        ("feed.jsonl", 5, "text"),
        ("feed.jsonl", 6, "published"),
        ("feed.jsonl", 7, "outlet"),
        ("feed.jsonl", 9, "text"),
    ]
    messages = [str(p) for p in problems(items)]
    assert messages[0].startswith("feed.jsonl, line 2: malformed JSON")
    assert "JSON object" in messages[1] and "list" in messages[1]
    assert messages[2] == "feed.jsonl, line 4, field 'text': missing or empty"
    assert "2026-02-30" in messages[4]
    assert "--outlet" in messages[5]


def test_jsonl_not_utf8_line_reported_with_offset_others_kept():
    data = b'{"text": "Good said.", "outlet": "O"}\n{"text": "caf\xe9", "outlet": "O"}\n'
    data += b'{"text": "Also.", "outlet": "O"}\n'
    items = parse("feed.jsonl", data)
    assert len(articles(items)) == 2
    (problem,) = problems(items)
    assert problem.line == 2 and "UTF-8" in problem.message and f"offset {data.index(b'\xe9')}" in problem.message


def test_jsonl_bom_and_crlf_accepted():
    data = "\ufeff".encode() + b'{"text": "One said.", "outlet": "O"}\r\n{"text": "Two said.", "outlet": "O"}\r\n'
    items = parse("feed.jsonl", data)
    assert [a.body for a in articles(items)] == ["One said.", "Two said."] and problems(items) == []


# --- csv -----------------------------------------------------------------------


def test_csv_demo_with_quoted_newlines():
    path = DEMO / "extra" / "articles.csv"
    items = parse(path.name, path.read_bytes())
    assert problems(items) == []
    first, second = articles(items)
    assert first.source_name == "articles.csv:2" and second.source_name == "articles.csv:7"
    assert first.source_format == "csv"
    assert first.title == "Harrowdale library hours to be cut" and first.outlet == "Valley Signal"
    assert first.published == datetime.date(2026, 6, 1) and first.external_id == "vs-2026-0601"
    assert first.body.count("\n\n") == 2
    assert "“Libraries are the last warm, free place in many villages,” said librarian Maud Ellery." in first.body
    assert first.raw.startswith("vs-2026-0601,Valley Signal,") and first.raw.endswith('save £48,000 a year."')
    assert second.outlet == "Northfield Courier"


def test_csv_bad_rows_reported_and_others_kept():
    data = (
        "\ufeffid,text,published,outlet,notes\r\n"
        '1,"Good row said.",2026-01-01,O,keep me\r\n'
        "2,,2026-01-01,O,\r\n"
        "3,Bad date said.,yesterday,O,\r\n"
        '4,"Multi\r\nline said.",,O,x,extra-cell\r\n'
        "5,Last said.,,,\r\n"
    )
    items = parse("rows.csv", data.encode(), outlet="Arg Outlet")
    good = articles(items)
    assert [a.external_id for a in good] == ["1", "5"]
    assert good[0].extra == {"notes": "keep me"} and good[1].outlet == "Arg Outlet"
    assert [(p.line, p.field) for p in problems(items)] == [(3, "text"), (4, "published"), (5, None)]
    assert good[1].source_name == "rows.csv:7"


def test_csv_without_text_column():
    (problem,) = parse("rows.csv", b"id,title\n1,x\n")
    assert (problem.line, problem.field) == (1, "text") and "no 'text' column" in problem.message


# --- whole-file problems -------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"  \n\r\n\t", "empty"),
        (b"\xef\xbb\xbf \n", "only whitespace"),
        (b"Headline\x00\x01\x02binary", "binary"),
        (bytes(range(1, 32)) * 10, "binary"),
        ("Headline".encode("utf-16"), "UTF-16"),
        (b"Headline here\n\ncaf\xe9 said.", "not valid UTF-8"),
    ],
)
@pytest.mark.parametrize("name", ["a.txt", "a.html", "a.csv"])
def test_bad_files(name, data, needle):
    (problem,) = parse(name, data, outlet="O")
    assert isinstance(problem, ImportProblem) and problem.source == name
    assert needle in problem.message
    assert str(problem).startswith(name)


def test_not_utf8_reports_byte_offset():
    (problem,) = parse("a.txt", b"Headline here\n\ncaf\xe9 said.", outlet="O")
    assert "byte offset 18" in problem.message and problem.line == 3


def test_problem_str():
    assert str(ImportProblem("feed.jsonl", 3, "text", "missing or empty")) == (
        "feed.jsonl, line 3, field 'text': missing or empty"
    )
    assert str(ImportProblem("a.txt", None, None, "the file is empty")) == "a.txt: the file is empty"


def test_newsletter_platform_paste():
    text = (
        "Share this post\n"
        "The Coastline Note\n"
        "Ferry strike talks collapse\n"
        "Jane Doe\n"
        "Mar 4, 2026\n"
        "∙ Paid\n"
        "42\n"
        "Share\n"
        "\n"
        "Talks between the ferry operator and the crew union collapsed late on Tuesday, the union said.\n"
        "\n"
        "The Coastline Note is a reader-supported publication. To receive new posts and support my work, "
        "consider becoming a free or paid subscriber.\n"
        "\n"
        "42 Likes\n"
        "Discussion about this post\n"
        "Ready for more?\n"
        "Posted by admin\n"
        "Discover more from The Coastline Note\n"
    )
    result = clean_pasted_text(text)
    assert result.title == "Ferry strike talks collapse"
    assert result.outlet == "The Coastline Note"
    assert result.byline == "Jane Doe" and result.published == datetime.date(2026, 3, 4)
    assert result.body.startswith("Talks between the ferry operator") and "\n" not in result.body
    reasons = {r["text"]: r["reason"] for r in result.removed_lines}
    assert reasons["The Coastline Note"] == "masthead" and reasons["42"] == "counter"
    assert len(result.removed_lines) == len([ln for ln in text.split("\n") if ln.strip()]) - 2


def test_csv_header_names_are_case_insensitive():
    article = only_article(parse("rows.csv", b"ID;Title;Text;Outlet\n9;A title here;Body said.;O\n"))
    got = (article.external_id, article.title, article.body, article.outlet)
    assert got == ("9", "A title here", "Body said.", "O")


@pytest.mark.parametrize(
    "sentence",
    [
        "Residents will have to keep reading the notices, the council said",
        "Researchers will get access to the archive from June",
        "Upgrade work on the free access road starts in May",
        "Share on the Oslo exchange fell 3 percent",
        "Subscribe to Netflix, the minister joked.",
        "Subscribers to the council newsletter complained about the delay.",
        "Thanks for reading my letter, the minister wrote.",
    ],
)
def test_story_lines_that_look_like_prompts_are_kept(sentence):
    result = clean_pasted_text(f"Headline for the test\n\n{sentence}\n\nLast paragraph of the story.")
    assert sentence in result.body.split("\n") and result.removed_lines == [] and result.outlet == ""
