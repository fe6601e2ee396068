"""The vocabularies of ../shared/taxonomy.md: article and review states, source types, anonymity fields, labels.

Re-exported by ``annotations.models``, where the rest of the code imports them from.
"""

from __future__ import annotations

from django.db import models


class ArticleState(models.TextChoices):
    IMPORTED = "imported", "Imported"
    PREPASSED = "prepassed", "Pre-passed"
    IN_REVIEW = "in_review", "In review"
    REVIEWED = "reviewed", "Reviewed"
    # double review (issue 15, models_review_layers.py): the article while its editors review it blind and until it
    # is adjudicated; and each editor's copy of it (never listed, counted or exported as an article)
    DOUBLE = "double", "In double review"
    LAYER = "layer", "An editor's layer"


class SourceType(models.TextChoices):
    NAMED_PERSON = "named_person", "Named person"
    NAMED_ORGANIZATION = "named_organization", "Named organisation"
    ANONYMOUS = "anonymous", "Anonymous"
    DOCUMENT = "document", "Document"
    MEDIA = "media", "Media"
    UNSPECIFIED = "unspecified", "Unspecified"


class QuoteKind(models.TextChoices):
    DIRECT = "direct", "Direct"
    INDIRECT = "indirect", "Indirect"
    MIXED = "mixed", "Mixed"


class Seniority(models.TextChoices):
    SENIOR = "senior", "Senior"
    NONE = "none", "None"


class Specificity(models.TextChoices):
    BARE = "bare", "Bare"
    AFFILIATED = "affiliated", "Affiliated"
    ROLE = "role", "Role"


class SentenceLabel(models.TextChoices):
    SOURCED = "sourced", "Sourced"
    UNSOURCED_CLAIM = "unsourced_claim", "Unsourced claim"
    NO_CLAIM = "no_claim", "No claim"
    BOILERPLATE = "boilerplate", "Boilerplate"


class ReviewState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    CONFIRMED = "confirmed", "Confirmed"
    CORRECTED = "corrected", "Corrected"
    REJECTED = "rejected", "Rejected"
    ADDED = "added", "Added"


class Origin(models.TextChoices):
    PREPASS = "prepass", "Pre-pass"
    EDITOR = "editor", "Editor"
    IMPORT = "import", "Imported"


DECIDED_STATES = (ReviewState.CONFIRMED, ReviewState.CORRECTED, ReviewState.REJECTED, ReviewState.ADDED)
