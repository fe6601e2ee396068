"""URL routes. Each area keeps its own section; views live in annotations/views/."""

from django.urls import path  # noqa: F401

urlpatterns: list = [
    # --- pages: home, articles, import, history (issue 5) ---
    # --- review page and its actions (issue 5) ---
    # --- exports (issue 6) ---
    # --- scorecard (issue 7) ---
]
