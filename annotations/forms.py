"""Forms of the editors' desk. Each form only parses input; the writes are in ``annotations.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from annotations.cleaning import looks_like_headline
from annotations.importing import EXTENSIONS, FORMATS
from annotations.models import ArticleState, Outlet, QuoteKind, Seniority, SentenceLabel, SourceType, Specificity
from annotations.roles import EDITOR, STANDARDS

# --- review page (issue 5) ------------------------------------------------------------

SPAN_ROLES = ("source", "cue", "content", "anon_justification")
NUDGE_EDGES = tuple(f"{role}_{edge}" for role in SPAN_ROLES for edge in ("start", "end"))


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "—"), *choices]


class VersionForm(forms.Form):
    """The version of the object the editor saw (a stale one is refused)."""

    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class AttributionCorrectForm(VersionForm):
    source_type = forms.ChoiceField(choices=SourceType.choices)
    quote_kind = forms.ChoiceField(choices=_blank(QuoteKind.choices), required=False)
    via = forms.CharField(max_length=200, required=False)
    anon_descriptor = forms.CharField(max_length=200, required=False, label="Descriptor")
    anon_seniority = forms.ChoiceField(choices=_blank(Seniority.choices), required=False, label="Seniority")
    anon_number = forms.RegexField(
        regex=r"^(one|several|[0-9]+)$",
        max_length=10,
        required=False,
        label="Number",
        error_messages={"invalid": 'Use "one", "several" or a whole number.'},
    )
    anon_specificity = forms.ChoiceField(choices=_blank(Specificity.choices), required=False, label="Specificity")
    anon_justification_start = forms.IntegerField(min_value=0, required=False)
    anon_justification_end = forms.IntegerField(min_value=0, required=False)
    speaker_ref = forms.IntegerField(min_value=1, required=False, label="Same speaker as #")
    source_start = forms.IntegerField(min_value=0, required=False)
    source_end = forms.IntegerField(min_value=0, required=False)
    cue_start = forms.IntegerField(min_value=0, required=False)
    cue_end = forms.IntegerField(min_value=0, required=False)
    content_start = forms.IntegerField(min_value=0, required=False)
    content_end = forms.IntegerField(min_value=0, required=False)
    # "source_end:+1" moves that edge one token (a submit button's value)
    nudge = forms.RegexField(regex=r"^[a-z_]+:[+-]1$", required=False)

    def clean_nudge(self) -> tuple[str, int] | None:
        value = self.cleaned_data.get("nudge")
        if not value:
            return None
        edge, step = value.split(":")
        if edge not in NUDGE_EDGES:
            raise forms.ValidationError("Unknown span edge.")
        return edge, int(step)

    def changes(self) -> dict[str, Any]:
        """The editable fields as the service wants them."""
        data = self.cleaned_data
        changes: dict[str, Any] = {
            name: data.get(name) for name in self.fields if name not in ("version", "nudge", "speaker_ref")
        }
        for name in ("quote_kind", "via", "anon_descriptor", "anon_seniority", "anon_number", "anon_specificity"):
            changes[name] = changes[name] or ""
        changes["speaker_ref_id"] = data.get("speaker_ref")
        return changes


class AttributionAddForm(forms.Form):
    """A span selected in the body: a new attribution, or a span added to an existing one (``target``)."""

    ROLE_CHOICES = [
        ("source", "Source"),
        ("cue", "Cue"),
        ("content", "Content"),
        ("anon_justification", "Why anonymous"),
    ]

    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial="source")
    source_type = forms.ChoiceField(choices=SourceType.choices, initial=SourceType.NAMED_PERSON)
    quote_kind = forms.ChoiceField(choices=_blank(QuoteKind.choices), required=False)
    target = forms.IntegerField(min_value=1, required=False, label="Add to attribution #")
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and start >= end:
            raise forms.ValidationError("Select some text first (the end must come after the start).")
        return data


class SentenceLabelForm(VersionForm):
    label = forms.ChoiceField(choices=SentenceLabel.choices)


# --- pages: article filter, reassignment, import (issue 5) ---------------------------------


def staff_users():
    """Everyone who may hold an article: editors, standards editors and staff."""
    return (
        get_user_model()
        .objects.filter(Q(groups__name__in=[EDITOR, STANDARDS]) | Q(is_staff=True), is_active=True)
        .distinct()
        .order_by("username")
    )


class ArticleFilterForm(forms.Form):
    """The articles list's filters; every field optional, invalid values are ignored field by field."""

    UNASSIGNED = "none"

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "title or text"}),
    )
    outlet = forms.ModelChoiceField(
        queryset=Outlet.objects.all(), required=False, empty_label="All outlets", to_field_name="slug"
    )
    state = forms.ChoiceField(
        choices=[("", "All states"), *((v, t) for v, t in ArticleState.choices if v != ArticleState.LAYER)],
        required=False,
    )
    assignee = forms.ChoiceField(required=False)
    published_from = forms.DateField(label="Published from", required=False, widget=forms.DateInput({"type": "date"}))
    published_to = forms.DateField(label="to", required=False, widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args, users=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        users = users if users is not None else staff_users()
        self.fields["assignee"].choices = [
            ("", "Anyone"),
            (self.UNASSIGNED, "Unassigned"),
            *[(str(u.pk), u.get_username()) for u in users],
        ]

    def filters(self) -> dict:
        """The valid filters only: a bad date does not empty the list, it is just not applied."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class ArticleAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="— nobody —")
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()


IMPORT_MAX_FILE_BYTES = 5 * 1024 * 1024
IMPORT_MAX_FILES = 20
IMPORT_MAX_TOTAL_BYTES = 20 * 1024 * 1024
IMPORT_MAX_PASTE_CHARS = 500_000
IMPORT_EXTENSIONS = sorted(EXTENSIONS)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(IMPORT_EXTENSIONS)}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


class ImportForm(forms.Form):
    """Pasted text (one article, read as a .txt file) and/or uploaded files."""

    text = forms.CharField(
        label="Pasted text",
        required=False,
        max_length=IMPORT_MAX_PASTE_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text="One article, as copied from the news page; share buttons, comment and newsletter prompts "
        "are removed and kept aside.",
    )
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=1000,
        help_text="Optional: the headline of the pasted article, when its first line is not the headline.",
    )
    outlet = forms.CharField(
        label="Outlet",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "outlet-names", "autocomplete": "off"}),
        help_text="The outlet of the pasted text and of .txt/.html files (overrides one recognised in the text), "
        "and of .jsonl/.csv records that name none. Leave empty to recognise it (“Discover more from …”).",
    )
    files = MultipleFileField(
        label="Files",
        required=False,
        help_text=f"{', '.join(IMPORT_EXTENSIONS)}; up to {IMPORT_MAX_FILES} files of at most "
        f"{_size(IMPORT_MAX_FILE_BYTES)} each.",
    )
    format = forms.ChoiceField(
        label="File format",
        choices=[(f, "by file extension" if f == "auto" else f) for f in FORMATS],
        initial="auto",
        required=False,
    )

    def clean_files(self) -> list:
        files = self.cleaned_data["files"]
        if len(files) > IMPORT_MAX_FILES:
            raise forms.ValidationError(f"Upload at most {IMPORT_MAX_FILES} files at once ({len(files)} given).")
        errors = []
        for upload in files:
            suffix = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
            if suffix not in EXTENSIONS:
                errors.append(f"{upload.name}: not an importable file type (use {', '.join(IMPORT_EXTENSIONS)}).")
            elif upload.size > IMPORT_MAX_FILE_BYTES:
                errors.append(
                    f"{upload.name} is {_size(upload.size)}; files may be at most {_size(IMPORT_MAX_FILE_BYTES)}. "
                    "Split it into smaller files."
                )
        total = sum(upload.size for upload in files)
        if not errors and total > IMPORT_MAX_TOTAL_BYTES:
            errors.append(f"The files come to {_size(total)}; upload at most {_size(IMPORT_MAX_TOTAL_BYTES)} at once.")
        if errors:
            raise forms.ValidationError(errors)
        return files

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split()).rstrip(".,;:")
        if title and not looks_like_headline(title):
            raise forms.ValidationError(
                "A title needs at least two words and starts with a capital letter or a digit (or leave it "
                "empty to take the headline from the first line)."
            )
        return title

    def clean(self) -> dict:
        data = super().clean()
        text = data.get("text") or ""
        if not text.strip() and not data.get("files") and not self.errors:
            raise forms.ValidationError("Paste the text of an article or choose one or more files.")
        if data.get("title") and not text.strip():
            self.add_error("title", "A title goes with pasted text; files carry their own titles.")
        data["format"] = data.get("format") or "auto"
        return data

    def pasted_file(self) -> tuple[str, bytes] | None:
        """The pasted article as a .txt upload: the title (when given) as its first line."""
        text = self.cleaned_data.get("text") or ""
        if not text.strip():
            return None
        title = self.cleaned_data.get("title") or ""
        if title and text.lstrip().splitlines()[0].strip() != title:
            text = f"{title}\n\n{text}"
        return ("pasted text", text.encode("utf-8"))


# --- model versions and the review queue's order (issue 14) -------------------------------------------------------


class QueueOrderForm(forms.Form):
    """Which article "Next article" serves: the default order, or the least sure proposals first."""

    DEFAULT = "default"
    UNCERTAIN = "uncertain"
    order = forms.ChoiceField(
        choices=[(DEFAULT, "Oldest first"), (UNCERTAIN, "Least sure first")],
        required=False,
        widget=forms.RadioSelect,
        label="Order",
    )


class TrainForm(forms.Form):
    base_corpus = forms.BooleanField(
        required=False, initial=True, label="Keep PolNeAR train in the mix (the corpus the shipped model learnt from)"
    )
    warm_start = forms.BooleanField(required=False, initial=True, label="Start from the active model's weights")
    epochs = forms.IntegerField(min_value=1, max_value=10, initial=4, label="Epochs")


class PromoteForm(forms.Form):
    rerun = forms.BooleanField(
        required=False, initial=True, label="Re-run the pre-pass over unreviewed articles nobody holds"
    )
