"""Cleaning of text pasted from news web pages: pure string work, no Django.

``clean_pasted_text`` removes web cruft (share buttons, comment and newsletter
prompts, page-builder placeholders, cookie notices ...) by general rules, keeps
every removed line with its 1-based line number and the rule that removed it,
takes the headline from the first real line and recognises the outlet from lines
such as "Discover more from <Outlet>".

Rules come in two strengths. *Strong* rules (calls to action, comment forms,
cookie notices, outlet lines, placeholders) match precise phrasings and may
remove any line. *Weak* rules (UI-word lines, headings such as "Related",
symbol-only lines, tag lines) never remove a line that reads like a sentence of
the story (long, ending in sentence punctuation, or holding a quotation).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

__all__ = ["CleanResult", "clean_pasted_text", "normalise_text"]

_I = re.IGNORECASE

# --- strong rules: precise phrasings, may remove any line --------------------
_OUTLET_PATTERNS = [
    # Linear by construction (no lazy group before a run that can match the same characters): the outlet starts
    # and ends with a character its trailing punctuation cannot match; "Thanks for reading" stops at the first
    # "Subscribe" (tempered dot), its trailing "!"/"." and white space are taken off by ``recognise_outlet``.
    re.compile(r"^\s*Discover more from\s+(?P<outlet>[^\s.!:](?:.*[^\s.!:])?)[\s.!:]*$", _I),
    re.compile(r"^\s*Thanks for reading\s+(?P<outlet>[A-Z](?:(?!Subscribe\b).)+)(?:Subscribe\b.*)?$"),
    re.compile(
        r"^\s*Subscribe to\s+(?!(?:our|my|the|this|a|an|get|receive|free|newsletter|updates)\b)"
        r"(?P<outlet>[A-Z][^.!?]{1,80}?)[\s.!:]*$"
    ),
    re.compile(
        r"^\s*(?:(?:Copyright|COPYRIGHT)\s*)?(?:©|\([cC]\)|(?:Copyright|COPYRIGHT)(?=\s+\d{4}))\s*"
        r"(?:\d{4}(?:\s*[-–]\s*\d{4})?,?\s*)?(?P<outlet>[A-Z][^.|•·]{1,80}?)\s*(?:[.|•·].*)?$"
    ),
]
_PLACEHOLDER = re.compile(
    r"^\s*(?:add|insert|enter|type|place|put)\s+your\s+.{0,40}\b(?:here|text)\b|lorem ipsum|"
    r"^\s*(?:your\s+)?(?:heading|title|subtitle|text)\s+(?:text\s+)?goes\s+here|^\s*click\s+(?:here\s+)?to\s+edit|"
    r"^\s*(?:this is|edit)\s+(?:your|a)\s+(?:heading|paragraph|text block)",
    _I,
)
_COMMENT = re.compile(
    r"^\s*(?:leave a (?:reply|comment)|cancel reply|post comment|reply(?:\s*↓)?|"
    r"\d+\s+(?:comments?|replies|responses))\s*[.!]?$|"
    r"your email address will not be published|required fields are marked|"
    r"save my name, email,? and website|notify me of (?:new|follow-up) (?:posts|comments)|"
    r"you must be logged in to post a comment|^\s*(?:name|e-?mail|website|comment)\s*\*\s*$|"
    r"^\s*(?:log in|sign in|login) to (?:reply|comment)",
    _I,
)
_CTA_NOUN = (
    r"newsletter|subscri|e-?mail|inbox|archive|reading|trial|access|member|paid|updates|posts|free|account|story"
)
# strong: subscription prompts at the start of the line, or unmistakable paywall phrases
_CTA_STRONG = re.compile(
    rf"^\s*(?:subscribe|sign up|become a (?:paid )?(?:subscriber|member)|already (?:a subscriber|have an account)|"
    rf"thanks for reading)\b.{{0,160}}?\b(?:{_CTA_NOUN})|"
    rf"\b(?:subscribe|sign up|sign in|log in|register)\b.{{0,60}}\bto (?:keep|continue) reading\b|"
    rf"^\s*(?:type|enter) your e-?mail|^\s*join\s+[\d,.]+k?\s+(?:other\s+)?(?:subscribers|readers)|"
    rf"\breader-supported publication\b|\bconsider becoming a (?:free or )?paid subscriber|"
    rf"^\s*this (?:post|article|story) is (?:only )?(?:for|available to) (?:paid )?(?:subscribers|members)",
    _I,
)
# weak: other imperative prompts ("Get our free updates", "Share this story")
_CTA_WEAK = re.compile(
    rf"^\s*(?:sign in|log in|join|get|start|continue|keep|support|read more|want more|don.t miss|follow us|share)\b"
    rf".{{0,120}}?\b(?:{_CTA_NOUN})",
    _I,
)
_CTA_SHORT = re.compile(
    r"^\s*(?:continue reading|keep reading|read more|read the full (?:story|article)|type your e-?mail|"
    r"enter your e-?mail(?: address)?|subscribe(?: now)?|subscribed|sign up(?: now)?|sign in|log in|"
    r"(?:get|start) (?:a |your )?free trial|already a subscriber.*|upgrade to paid)\W*$",
    _I,
)
_COOKIE = re.compile(
    r"^(?!.*[“”\"]).{0,100}\bcookies?\b.{0,200}\b"
    r"(?:this (?:web)?site|we use|accept (?:all )?cookies|consent|privacy policy|cookie (?:settings|policy)|"
    r"browsing experience)|^\s*(?:we use cookies|accept (?:all )?cookies|cookie (?:settings|preferences))",
    _I,
)
_ADVERT = re.compile(
    r"^\s*(?:advertisements?|advertising|sponsored(?: content)?|ad|report this ad|"
    r"(?:story|article) continues (?:below|after) (?:this )?(?:advertisement|ad))\W*$",
    _I,
)
_SHARE_PHRASE = re.compile(
    r"^\s*(?:click to (?:share|email|print)\b|share (?:this(?: post| article| story| page)?|on \w+(?: \w+)?)\W*$|"
    r"like loading)",
    _I,
)

# --- weak rules: never applied to a line that reads like a story sentence ----
_UI_TEXT = """share this on via facebook x twitter linkedin whatsapp email e mail print reddit telegram pinterest tumblr
    pocket threads bluesky mastodon copy link like loading reblog more tweet subscribe subscribed follow save
    comment comments reply menu search home skip to content next previous prev post close open in new window
    messenger flipboard sms tiktok instagram youtube rss feed gift article listen audio min read related
    posts articles stories tags tag bookmark website paid restack restacks likes shortlink report site reader
manage subscriptions collapse bar view archive about top latest discussion discussions"""
_UI_WORDS = frozenset(_UI_TEXT.split())
_HEADING = re.compile(
    r"^\s*(?:related(?: posts| articles| stories| content| coverage)?|read (?:more|next|also)|see also|"
    r"you (?:may|might) also like|recommended(?: for you| stories)?|most (?:read|popular|viewed)|trending(?: now)?|"
    r"more (?:from|stories from|on this story|in)\b.{0,60}|ready for more|top stories|latest (?:news|stories)|"
    r"editor.s picks?)\W*$",
    _I,
)
_TAXONOMY = re.compile(
    r"^\s*(?:(?:posted in|filed under)\s|(?:tags?|tagged|categor(?:y|ies)|topics?)\s*[:\-–])\s*\S", _I
)
_TAXONOMY_HEAD = re.compile(r"^\s*(?:tags?|categor(?:y|ies)|topics?)\s*:", _I)
_CREDIT = re.compile(
    # the credit starts and its tail ends with a non-space, so no two repeats compete for a run of spaces
    r"^\s*\(?(?:photo(?:graph)?|image|picture|credit|photo credit)s?(?:\s*by)?(?:\s*:)?\s*[^\s.!?“”\"][^.!?“”\"]{0,79}"
    r"(?:/|\b(?:getty|shutterstock|alamy|reuters|afp|ap photo|courtesy|file photo)\b)"
    r"(?:[^.!?“”\"]{0,59}[^\s.!?“”\"])?\)?\s*$",
    _I,
)
_BYLINE = re.compile(r"^\s*By\s+(?P<name>[A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|and|&|de|van|von|al)){0,7})\s*$")
_COUNTER = re.compile(r"^\s*[\d.,]{1,7}[KkMm]?\s*$")  # like/comment counts
_POSTED_BY = re.compile(r"^\s*(?:posted|published|written)\s+by\s+\S.{0,60}$", _I)
_NAME = re.compile(r"^\s*[A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|de|van|von|al|and|&)){1,4}\s*$")
_READ_TIME = re.compile(r"^\s*\d+\s*(?:min(?:ute)?s?)\s+read\s*$", _I)
_DATE_FORMATS = ("%B %d, %Y", "%d %B %Y", "%b %d, %Y", "%d %b %Y", "%Y-%m-%d", "%A, %B %d, %Y", "%A %d %B %Y")
_DATE_PREFIX = re.compile(r"^\s*(?:published|posted|updated|on)?\s*:?\s*", _I)
# a time after the date: starts where no white space precedes it, so a long run of spaces is scanned once
_DATE_TIME_SUFFIX = re.compile(r"(?<!\s),?\s+(?:at\s+)?\d{1,2}[:.]\d{2}.*$")
# Lines longer than these are never an outlet line or a date line (the patterns need far less): checking them
# would only cost time on a pasted page with a huge line.
MAX_OUTLET_LINE = 300
MAX_DATE_LINE = 100
_HAS_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_QUOTE = re.compile(r"[“”\"«»„]|(?:^|\s)‘|’(?=\s|$)")


@dataclass
class CleanResult:
    body: str
    title: str = ""
    removed_lines: list[dict] = field(default_factory=list)
    outlet: str = ""
    byline: str = ""  # from a "By Jane Doe" line near the top, if any
    published: datetime.date | None = None  # from a date-only line near the top, if any


def normalise_text(text: str) -> str:
    """Line endings to LF, trailing spaces off, 3+ newlines to one blank line, no leading/trailing blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


def reads_like_sentence(line: str) -> bool:
    s = line.strip()
    if _QUOTE.search(s):
        return True
    words = s.split()
    return len(words) >= 8 or (len(words) >= 4 and s[-1:] in ".!?…:;")


def _ui_line(line: str) -> bool:
    words = re.findall(r"[^\W\d_]+", line.lower())
    return bool(words) and len(line.strip()) <= 60 and all(w in _UI_WORDS for w in words)


def recognise_outlet(line: str) -> str:
    if len(line) > MAX_OUTLET_LINE or _QUOTE.search(line):
        return ""
    for pattern in _OUTLET_PATTERNS:
        m = pattern.match(line)
        if m:
            name = m.group("outlet").rstrip().strip(" .!:,;-–—|")
            if name.lower().startswith(("all rights", "reserved")) or not 2 <= len(name) <= 80:
                continue
            if "," in name or len(name.split()) > 6:
                continue
            return re.sub(r"\s*[,.]?\s*all rights reserved.*$", "", name, flags=_I)
    return ""


def _strong_reason(line: str) -> str:
    if recognise_outlet(line):
        return "outlet_line"
    for reason, pattern in (
        ("placeholder", _PLACEHOLDER),
        ("comment_form", _COMMENT),
        ("cookie_notice", _COOKIE),
        ("advertisement", _ADVERT),
        ("share_button", _SHARE_PHRASE),
        ("call_to_action", _CTA_SHORT),
    ):
        if pattern.search(line):
            return reason
    if len(line) <= 300 and _CTA_STRONG.search(line) and not _QUOTE.search(line):
        return "call_to_action"
    return ""


def _weak_reason(line: str) -> str:
    if not _HAS_LETTER_OR_DIGIT.search(line):
        return "symbols_only"
    if reads_like_sentence(line) and not _TAXONOMY_HEAD.match(line):
        return ""
    if _HEADING.match(line):
        return "related_heading"
    if _READ_TIME.match(line):
        return "reading_time"
    if _COUNTER.match(line):
        return "counter"
    if _POSTED_BY.match(line):
        return "posted_by"
    if _ui_line(line):
        return "ui_words"
    if _CTA_WEAK.match(line):
        return "call_to_action"
    if _TAXONOMY.match(line) and len(line) <= 200:
        return "tag_line"
    if _CREDIT.match(line):
        return "photo_credit"
    return ""


def line_reason(line: str) -> str:
    """The rule that marks ``line`` as web cruft, or "" when it is kept."""
    if not line.strip():
        return ""
    return _strong_reason(line) or _weak_reason(line)


def _parse_date_line(line: str) -> datetime.date | None:
    s = line.strip()
    if len(s) > MAX_DATE_LINE:
        return None
    s = _DATE_PREFIX.sub("", s).strip(" .")
    s = _DATE_TIME_SUFFIX.sub("", s).strip(" .,")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def looks_like_headline(line: str) -> bool:
    s = line.strip()
    if not s or len(s) >= 200 or len(s.split()) < 2 or s[-1] in ".,;:":
        return False
    first = s.lstrip("“\"‘'(")[:1]
    return bool(first) and (first.isupper() or first.isdigit())


_SHARE_REASONS = ("ui_words", "share_button", "call_to_action")


def _short_label(line: str) -> bool:
    s = line.strip()
    return 0 < len(s) <= 20 and len(s.split()) <= 2 and s[-1] not in ".!?…" and not _QUOTE.search(s)


def clean_pasted_text(text: str, *, take_title: bool = True) -> CleanResult:
    """Clean text pasted from a web page. See the module docstring for the rules."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    reasons = [line_reason(ln) for ln in lines]

    # Share bars: runs of very short label lines ("Share this:", "Facebook", "Bluesky", "Mastodon"). From the
    # first UI/share line of a run to its end, unknown labels go too, if the run has 2+ UI lines.
    i = 0
    while i < len(lines):
        if not _short_label(lines[i]):
            i += 1
            continue
        j = i
        while j < len(lines) and (_short_label(lines[j]) or not lines[j].strip()):
            j += 1
        run = [k for k in range(i, j) if lines[k].strip()]
        ui = [k for k in run if reasons[k] in _SHARE_REASONS]
        if len(ui) >= 2:
            for k in run:
                if k >= ui[0]:
                    reasons[k] = reasons[k] or "share_bar"
        i = j

    outlet = ""
    for k, line in enumerate(lines):
        if reasons[k] == "outlet_line":
            outlet = recognise_outlet(line)
            break

    if outlet:  # the outlet's name on a line of its own (masthead, logo text)
        for k, line in enumerate(lines):
            if not reasons[k] and line.strip().casefold() == outlet.casefold():
                reasons[k] = "masthead"

    kept = [k for k in range(len(lines)) if lines[k].strip() and not reasons[k]]
    title = ""
    title_idx = None
    if take_title and kept and looks_like_headline(lines[kept[0]]) and not _BYLINE.match(lines[kept[0]]):
        title_idx = kept[0]
        title = lines[title_idx].strip()

    # Byline and date lines near the top: "By Jane Doe", a date on its own, a bare name just above that date.
    byline = ""
    published = None
    header = [k for k in kept if k != title_idx][:5]
    for pos, k in enumerate(header):
        m = _BYLINE.match(lines[k])
        if m and not byline:
            byline, reasons[k] = m.group("name").strip(), "byline"
        elif published is None and (date := _parse_date_line(lines[k])):
            published, reasons[k] = date, "dateline"
            prev = header[pos - 1] if pos else None
            if prev is not None and not byline and not reasons[prev] and _NAME.match(lines[prev]):
                byline, reasons[prev] = lines[prev].strip(), "byline"

    removed = [{"line": k + 1, "text": lines[k], "reason": reasons[k]} for k in range(len(lines)) if reasons[k]]
    body_lines = [ln for k, ln in enumerate(lines) if not reasons[k] and k != title_idx]
    body = normalise_text("\n".join(body_lines))
    return CleanResult(body=body, title=title, removed_lines=removed, outlet=outlet, byline=byline, published=published)
