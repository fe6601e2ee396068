"""Roles are Django groups created by a migration: ``editor`` and ``standards``; staff are admins."""

from __future__ import annotations

EDITOR = "editor"
STANDARDS = "standards"


def _groups(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_names = cached
    return cached


def is_standards(user) -> bool:
    return bool(getattr(user, "is_staff", False)) or STANDARDS in _groups(user)


def is_editor(user) -> bool:
    return is_standards(user) or EDITOR in _groups(user)
