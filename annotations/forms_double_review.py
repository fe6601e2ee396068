"""Forms of double review (issue 15): marking articles, the rule for new imports, reassigning a layer, calling a
review off, an adjudicator's choice, the agreement page's scope.

Each form only parses input; the writes are in ``services.double_review`` and ``services.adjudication``.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet

from annotations.agreement_stats import AgreementScope
from annotations.forms import staff_users
from annotations.models import Article, DoubleReview, Outlet, SentenceLabel
from annotations.models_review_layers import CLOSED_STAGES
from annotations.services.double_review import MARKABLE_STATES, random_share
from annotations.stats import DateRangeForm

MAX_IDS = 1000


class EditorsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_username()


class _EditorsForm(forms.Form):
    editors = EditorsField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="two or more; each reviews the article on their own, blind to the others",
    )
    batch = forms.CharField(
        max_length=100, required=False, help_text="a name to compare agreement by (empty: today's date)"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["editors"].queryset = staff_users()

    def clean_editors(self):
        editors = self.cleaned_data["editors"]
        if self.is_bound and len(editors) < 2 and self._needs_editors():
            raise forms.ValidationError("Name at least two editors.")
        return editors

    def _needs_editors(self) -> bool:
        return True


class MarkForm(_EditorsForm):
    """Which articles to mark: given ids, or a filter with a random share of what it matches."""

    articles = forms.CharField(
        required=False,
        label="Article ids",
        help_text="e.g. 12, 15 (leave empty to mark by the filter below)",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    outlet = forms.ModelChoiceField(
        queryset=Outlet.objects.order_by("name"), required=False, empty_label="All outlets", to_field_name="slug"
    )
    published_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    published_to = forms.DateField(required=False, label="to", widget=forms.DateInput(attrs={"type": "date"}))
    share = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=100,
        required=False,
        label="Random share, %",
        help_text="of the articles the filter matches",
    )

    def __init__(self, *args, preview: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.preview = preview  # only counting what would be marked: no editors needed yet

    def _needs_editors(self) -> bool:
        return not self.preview

    def clean_articles(self) -> list[int]:
        text = self.cleaned_data["articles"].strip()
        if not text:
            return []
        ids, bad = [], []
        for token in re.split(r"[\s,;]+", text):
            if token.isdigit():
                ids.append(int(token))
            elif token:
                bad.append(token)
        if bad:
            raise forms.ValidationError(f"Not an article id: {', '.join(bad[:5])}. Give numbers, e.g. 12, 15.")
        if len(ids) > MAX_IDS:
            raise forms.ValidationError(f"Give at most {MAX_IDS} ids at once ({len(ids)} given).")
        return list(dict.fromkeys(ids))

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("published_from"), data.get("published_to")
        if start and end and start > end:
            self.add_error("published_to", "The end date is before the start date.")
        return data

    def matching(self) -> QuerySet[Article]:
        """What the filter matches among the articles that can be marked (pre-passed or imported, not yet marked)."""
        data = self.cleaned_data
        qs = Article.objects.filter(state__in=MARKABLE_STATES, double_review__isnull=True)
        if data.get("outlet"):
            qs = qs.filter(outlet=data["outlet"])
        if data.get("published_from"):
            qs = qs.filter(published__gte=data["published_from"])
        if data.get("published_to"):
            qs = qs.filter(published__lte=data["published_to"])
        return qs.order_by("pk")

    def selection(self, *, seed: int | None = None) -> list[int]:
        data = self.cleaned_data
        if data["articles"]:
            return data["articles"]
        ids = list(self.matching().values_list("pk", flat=True))
        return random_share(ids, data.get("share") or 100, seed=seed)


class RuleForm(_EditorsForm):
    """The standing rule for new imports (share 0: none)."""

    share = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=0,
        label="Share of new imports, %",
        help_text="drawn at random per article when its pre-pass is stored; 0 turns the rule off",
    )

    def _needs_editors(self) -> bool:
        return bool(self.data.get("share") not in (None, "", "0"))


class ChoiceForm(forms.Form):
    """One adjudication choice: an editor's version (``layer``), none, or a sentence label."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    choice = forms.ChoiceField(choices=[("layer", "layer"), ("none", "none"), ("label", "label")])
    layer = forms.IntegerField(min_value=1, required=False)
    label = forms.ChoiceField(choices=SentenceLabel.choices, required=False)

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"choice": data["choice"], "layer_id": data.get("layer"), "label": data.get("label") or ""}


class AgreementScopeForm(DateRangeForm):
    batch = forms.ChoiceField(required=False, label="Batch")
    outlet = forms.ModelChoiceField(
        queryset=Outlet.objects.order_by("name"), required=False, empty_label="All outlets", to_field_name="slug"
    )
    field_order = ["batch", "outlet", "date_from", "date_to"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        batches = (
            DoubleReview.objects.filter(stage__in=CLOSED_STAGES)
            .order_by("batch")
            .values_list("batch", flat=True)
            .distinct()
        )
        self.fields["batch"].choices = [("", "All batches"), *((b, b) for b in batches)]

    def scope(self) -> AgreementScope:
        if not self.is_bound or not self.is_valid():
            return AgreementScope()
        data = self.cleaned_data
        return AgreementScope(
            batch=data["batch"] or "", outlet=data["outlet"], date_from=data["date_from"], date_to=data["date_to"]
        )


class EditorField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_username()


class LayerReassignForm(forms.Form):
    """Which unsubmitted layer goes to whom: an active editor not yet in the review.

    ``layers``: (position, current editor's name) of the layers that may be given away; ``exclude``: the ids of the
    review's editors."""

    position = forms.TypedChoiceField(coerce=int, label="Layer of")
    editor = EditorField(queryset=None, empty_label="Choose an editor", label="Give it to")

    def __init__(self, *args, layers: list[tuple[int, str]], exclude: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"].choices = layers
        self.fields["editor"].queryset = staff_users().exclude(pk__in=exclude)


class CancelForm(forms.Form):
    confirm = forms.BooleanField(
        label="Discard the editors' copies and return the article to the ordinary queue",
        error_messages={"required": "Tick the box to confirm: the editors' decisions on their copies are discarded."},
    )
