"""Export benchmark: every format over a PostgreSQL database of N synthetic reviewed articles.

    .venv/bin/python bench/export.py                      # 50,000 articles (~500,000 attributions)
    .venv/bin/python bench/export.py --articles 5000

The database (default sourcing_desk_bench_export) is created and migrated if missing and
filled with COPY (reused when it already holds N articles). Each format then runs in its own
subprocess, writing to /dev/null, which reports its peak resident memory (VmHWM) and time.
Prints a table, then one JSON line: {"articles": ..., "formats": {"jsonl": {"rows_per_s": ..., "peak_mb": ...}}}.
rows_per_s counts articles (one jsonl/Prodigy line, one Doc, one Label Studio task, one brat
document pair) per second; attributions_per_s is given beside it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_export"
FORMATS = ("jsonl", "prodigy", "spacy", "labelstudio", "brat", "csv")
BATCH = 2000


def setup_django(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("SECURE_COOKIES", "0")  # plain HTTP on loopback: no HTTPS redirect
    import django

    django.setup()


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


# --- synthetic data -------------------------------------------------------------------------

PEOPLE = ["Finance Minister Anna Berg", "Mayor Tom Hale", "Dr. Lina Ortiz", "Chief Inspector Ravi Mehta"]
ORGS = ["the city council", "the ministry", "the port authority", "the union"]
ANON = ["A senior official", "Two people familiar with the matter", "A European source", "a Pentagon official"]
CUES = ["said", "told reporters", "according to", "confirmed", "reported", "added"]
CLAIMS = [
    "the budget would pass before the summer recess",
    "costs had risen by 40 million euros since the last inspection",
    'talks with the unions would resume on Monday, with a deal "within reach"',
    "the contract, signed in March, was never put out to tender",
    "the bridge would stay closed to heavy traffic until further notice",
]
FILLER = [
    "The harbour has been at the centre of a long dispute.",
    "Critics have questioned the timing of the announcement.",
    "The council meets again next week.",
]
TYPES = ["named_person", "named_organization", "anonymous", "document", "media", "unspecified"]


def make_article(rng: random.Random, n_attr: int) -> tuple[str, list[tuple[int, int, str]], list[dict]]:
    """A body, its sentences (start, end, label) and its attributions (offsets and fields)."""
    parts: list[str] = []
    pos = 0
    sentences: list[tuple[int, int, str]] = []
    attributions: list[dict] = []

    def add(text: str, label: str) -> int:
        nonlocal pos
        if parts:
            parts.append(" ")
            pos += 1
        start = pos
        parts.append(text)
        pos += len(text)
        sentences.append((start, pos, label))
        return start

    for i in range(n_attr):
        kind = TYPES[i % len(TYPES)]
        source = {"named_person": PEOPLE, "named_organization": ORGS, "anonymous": ANON}.get(kind, ["Reuters"])
        source = rng.choice(source)
        cue = rng.choice(CUES)
        claim = rng.choice(CLAIMS)
        text = f"{source[0].upper()}{source[1:]} {cue} {claim}."
        start = add(text, "sourced")
        s0 = start
        c0 = s0 + len(source) + 1
        t0 = c0 + len(cue) + 1
        attributions.append(
            {"type": kind, "source": (s0, s0 + len(source)), "cue": (c0, c0 + len(cue)),
             "content": (t0, t0 + len(claim)), "sentence": len(sentences) - 1}
        )  # fmt: skip
        if i % 3 == 0:
            add(rng.choice(FILLER), "no_claim")
    return "".join(parts), sentences, attributions


def fill(n_articles: int, n_attr: int, seed: int = 7) -> float:
    from django.db import connection

    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.datetime.now(datetime.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE annotations_attribution, annotations_sentence, annotations_article, annotations_outlet, "
            "annotations_event RESTART IDENTITY CASCADE"
        )
        cursor.execute("SELECT id FROM auth_user WHERE username = 'bench-editor'")
        row = cursor.fetchone()
        if row:
            editor_id = row[0]
        else:
            cursor.execute(
                "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
                "is_active, date_joined) VALUES ('!', false, 'bench-editor', '', '', '', false, true, %s) RETURNING id",
                [now],
            )
            editor_id = cursor.fetchone()[0]
        outlets = [f"Bench Outlet {i}" for i in range(20)]
        for i, name in enumerate(outlets, start=1):
            cursor.execute(
                "INSERT INTO annotations_outlet (id, name, slug, domain) VALUES (%s, %s, %s, '')",
                [i, name, f"bench-outlet-{i}"],
            )
        raw = cursor.connection  # the psycopg connection
        sentence_id = attribution_id = 0
        for offset in range(0, n_articles, BATCH):
            with (
                raw.cursor() as cur,
                cur.copy(
                    "COPY annotations_article (id, outlet_id, title, byline, url, published, external_id, "
                    "source_format, source_name, raw, body, body_length, removed_lines, content_hash, state, "
                    "created_at, updated_at, pipeline, pipeline_version, processed_at, reviewed_by_id, reviewed_at, "
                    "version) FROM STDIN"
                ) as article_copy,
            ):
                batch_sentences, batch_attributions = [], []
                for i in range(offset, min(offset + BATCH, n_articles)):
                    article_id = i + 1
                    body, sentences, attributions = make_article(rng, n_attr)
                    article_copy.write_row(
                        [article_id, (i % 20) + 1, f"Bench story {article_id}", "By Bench Writer",
                         f"https://bench.example/{article_id}", datetime.date(2026, 1, 1) + datetime.timedelta(i % 300),
                         "", "jsonl", "bench", body, body, len(body), "[]", f"{article_id:064x}", "reviewed",
                         now, now, "rules", "2", now, editor_id, now, 1]
                    )  # fmt: skip
                    first_sentence = sentence_id + 1
                    for index, (start, end, label) in enumerate(sentences):
                        sentence_id += 1
                        batch_sentences.append(
                            [sentence_id, article_id, index, start, end, label, label, "prepass", "rules", "2", 0.8,
                             "confirmed", editor_id, now, 1]
                        )  # fmt: skip
                    for a in attributions:
                        attribution_id += 1
                        anonymous = a["type"] == "anonymous"
                        batch_attributions.append(
                            [attribution_id, article_id, first_sentence + a["sentence"], a["type"],
                             *a["source"], *a["cue"], *a["content"], "indirect", "",
                             "official" if anonymous else "", "senior" if anonymous else "",
                             "one" if anonymous else "", "bare" if anonymous else "",
                             "prepass", "rules", "2", 0.7, json.dumps({"source_type": a["type"]}),
                             "confirmed", editor_id, now, 1, now, now]
                        )  # fmt: skip
            with (
                raw.cursor() as cur,
                cur.copy(
                    'COPY annotations_sentence (id, article_id, index, start, "end", label, proposed_label, '
                    "label_origin, pipeline, pipeline_version, confidence, review_state, reviewed_by_id, reviewed_at, "
                    "version) FROM STDIN"
                ) as copy,
            ):
                for row in batch_sentences:
                    copy.write_row(row)
            with (
                raw.cursor() as cur,
                cur.copy(
                    "COPY annotations_attribution (id, article_id, sentence_id, source_type, source_start, source_end, "
                    "cue_start, cue_end, content_start, content_end, quote_kind, via, anon_descriptor, anon_seniority, "
                    "anon_number, anon_specificity, origin, pipeline, pipeline_version, confidence, proposal, "
                    "review_state, reviewed_by_id, reviewed_at, version, created_at, updated_at) FROM STDIN"
                ) as copy,
            ):
                for row in batch_attributions:
                    copy.write_row(row)
            print(f"  filled {min(offset + BATCH, n_articles)}/{n_articles}", file=sys.stderr, end="\r")
        for table in ("article", "sentence", "attribution", "outlet"):
            sql = f"SELECT setval(pg_get_serial_sequence('annotations_{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM annotations_{table}))"  # noqa: E501, S608 -- fixed table names
            cursor.execute(sql)
        cursor.execute("ANALYZE")
    print(file=sys.stderr)
    return time.perf_counter() - started


# --- one format, in a child process --------------------------------------------------------


def peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(fmt: str) -> None:
    from annotations.exports import ExportFilters, export_chunks
    from annotations.models import Attribution

    attributions = Attribution.objects.filter(article__state="reviewed").count()
    articles = 0

    def count() -> None:
        nonlocal articles
        articles += 1

    started = time.perf_counter()
    size = 0
    with open(os.devnull, "wb") as sink:
        for chunk in export_chunks(fmt, ExportFilters(), on_article=count):
            size += len(chunk)
            sink.write(chunk)
    seconds = time.perf_counter() - started
    print(json.dumps({"format": fmt, "articles": articles, "attributions": attributions, "seconds": seconds,
                      "bytes": size, "peak_mb": peak_mb()}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--attributions", type=int, default=10, help="per article")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--refill", action="store_true", help="fill again even when the size matches")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        setup_django(args.database_url)
        child(args.child)
        return

    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    from annotations.models import Article, Attribution

    call_command("migrate", verbosity=0)
    fill_seconds = None
    if args.refill or Article.objects.filter(state="reviewed").count() != args.articles:
        fill_seconds = fill(args.articles, args.attributions)
    n_attr = Attribution.objects.count()
    print(f"database: {urlparse(args.database_url).path.lstrip('/')}  articles: {args.articles}  "
          f"attributions: {n_attr}" + (f"  (filled in {fill_seconds:.1f} s)" if fill_seconds else ""))  # fmt: skip

    results = {}
    header = f"{'format':<12} {'articles/s':>11} {'attrib./s':>11} {'seconds':>9} {'MB out':>9} {'peak MB':>9}"
    print(header)
    print("-" * len(header))
    for fmt in args.formats.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", fmt, "--database-url", args.database_url],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            print(f"{fmt:<12} FAILED\n{proc.stderr[-2000:]}")
            results[fmt] = {"error": proc.stderr.strip().splitlines()[-1:]}
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rate = r["articles"] / r["seconds"] if r["seconds"] else 0.0
        arate = r["attributions"] / r["seconds"] if r["seconds"] else 0.0
        results[fmt] = {
            "rows_per_s": round(rate, 1),
            "attributions_per_s": round(arate, 1),
            "seconds": round(r["seconds"], 2),
            "bytes": r["bytes"],
            "peak_mb": round(r["peak_mb"], 1),
        }
        print(f"{fmt:<12} {rate:>11.0f} {arate:>11.0f} {r['seconds']:>9.1f} {r['bytes'] / 1e6:>9.1f} "
              f"{r['peak_mb']:>9.1f}")  # fmt: skip
    children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest child peak (getrusage RUSAGE_CHILDREN): {children_peak:.1f} MB; target < 300 MB")
    print(json.dumps({"articles": args.articles, "attributions": n_attr, "formats": results}))


if __name__ == "__main__":
    main()
