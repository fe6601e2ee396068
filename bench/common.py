"""What the benchmarks share: a fresh PostgreSQL database, Django set up on it, figures printed."""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the words and sources of the review and agreement benches' generated articles (one of each source type)
FILLER = (
    "council budget harbour ferry minister officials report inquiry schools hospital contract police river "
    "bridge election voters tax housing water energy court ruling union strike plan funding road port the of "
    "and to in that would next year under new rules for"
).split()
SOURCES = (
    ("named_person", "Finance Minister Anna Berg"),
    ("anonymous", "A senior official"),
    ("named_organization", "The port authority"),
    ("document", "A council report"),
    ("media", "The Harbour Gazette"),
    ("unspecified", "Critics"),
)


def setup_django(database_url: str, *, fresh: bool = False) -> None:
    """Point Django at ``database_url`` (created if missing, dropped first with ``fresh``) and migrate."""
    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("SECURE_COOKIES", "0")  # plain HTTP on loopback: no HTTPS redirect
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(rows: list[tuple], headers: tuple) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*headers))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


def print_json(figures: dict) -> None:
    print(json.dumps(figures), flush=True)


# --- a generated corpus: pasted web pages with sourcing of several kinds -----------------

WORDS = (
    "council budget harbour ferry minister officials report inquiry schools hospital contract police river "
    "bridge election voters tax housing water energy court ruling union strike plan funding road port"
).split()
NAMES = ("Ana Berg", "Paul Okafor", "Ruth Gallagher", "Omar Haddad", "Priya Nair", "Jo Lind")
CRUFT = (
    "Share this:",
    "Facebook",
    "X",
    "Leave a Reply",
    "Related posts",
    "Add Your Heading Text Here",
    "Subscribe now to keep reading and get access to the full archive.",
)


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def article_text(rng: random.Random, n: int) -> str:
    """About 350 words: quotes, anonymous and relayed sources, hedges, unsourced claims, then web cruft."""
    lines = [f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} plan {n} faces new questions"]
    for p in range(6):
        sentences = []
        for _ in range(3):
            kind = rng.random()
            name = rng.choice(NAMES)
            if kind < 0.2:
                sentences.append(f"“The {_words(rng, 8, 16)} will change,” said Minister {name}.")
            elif kind < 0.35:
                sentences.append(f"A senior official said the {_words(rng, 8, 16)} was delayed.")
            elif kind < 0.45:
                sentences.append(f"Two officials told the Evening Wire that the {_words(rng, 6, 12)} had stalled.")
            elif kind < 0.55:
                sentences.append(f"The {_words(rng, 6, 12)} was reportedly cancelled.")
            elif kind < 0.65:
                sentences.append(f"According to the council, the {_words(rng, 6, 12)} costs more than planned.")
            else:
                sentences.append(f"The {_words(rng, 10, 18)} rose {rng.randint(2, 90)}% in {2000 + p}.")
        lines.append(" ".join(sentences))
    lines += [*rng.sample(CRUFT, 4), "Discover more from The Bench Herald"]
    return "\n".join(lines) + "\n"
