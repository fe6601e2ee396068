"""Benchmark the outlet scorecard on PostgreSQL.

Fills its own database (COPY, no ORM) with synthetic outlets, articles, sentences
and attributions, fills the per-article summary (``ArticleCounts``) with one
``INSERT ... SELECT ... GROUP BY`` (checked against ``services.article_counts_refresh``
on a sample of articles), runs VACUUM ANALYZE, then times the overview, an
outlet page, a comparison of six outlets and the CSV download through Django's
test Client as a logged-in standards user. Every request computes its figures
(there is no result cache).

    .venv/bin/python bench/stats.py                      # 100,000 articles, ~1,000,000 attributions
    .venv/bin/python bench/stats.py --articles 5000      # smaller
    .venv/bin/python bench/stats.py --reuse              # keep the data if the sizes already match

Prints a table, then one JSON line (last).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_stats"

SOURCE_TYPES = [  # (type, weight)
    ("named_person", 40),
    ("named_organization", 18),
    ("anonymous", 16),
    ("document", 10),
    ("media", 7),
    ("unspecified", 9),
]
DESCRIPTORS = [
    "Pentagon",
    "administration",
    "European",
    "Ukrainian",
    "industry",
    "police",
    "government",
    "senior",
    "diplomatic",
    "Western",
    "ministry",
    "security",
    "company",
    "union",
    "hospital",
]
VIA = ["Reuters", "AP", "CNN", "The Guardian", "AFP", "BBC"]
WORDS = (
    "the minister said budget would pass council harbour fees rise officials talks private bridge cost "
    "million euros report court filings according to sources familiar with matter people spokesperson "
    "confirmed alleged reported statement hospital merger ferry contract school strike inspection water"
).split()
SENTENCES_PER_ARTICLE = 10
SENTENCE_LEN = 90  # characters, a space between sentences


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--outlets", type=int, default=30)
    parser.add_argument("--attributions-per-article", type=float, default=10.5)
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep existing data when its size matches")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("SECURE_COOKIES", "0")  # plain HTTP on loopback: no HTTPS redirect
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# --- generating the data -------------------------------------------------------------------------


def _esc(value) -> str:
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _line(values) -> str:
    return "\t".join(_esc(v) for v in values) + "\n"


def _copy(cursor, table: str, columns: list[str], lines) -> None:
    cols = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for i, line in enumerate(lines):
            buffer.write(line)
            if i % 20_000 == 19_999:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def generate(url: str, n_articles: int, n_outlets: int, per_article: float, seed: int) -> None:
    import psycopg

    rnd = random.Random(seed)
    now = dt.datetime.now(dt.UTC).isoformat()
    tables = [
        "annotations_articlecounts",
        "annotations_attribution",
        "annotations_sentence",
        "annotations_event",
        "annotations_article",
        "annotations_outlet",
    ]
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        # The rows are valid by construction (foreign keys, offsets inside the body): skip the per-row
        # triggers (offset checks and deferred foreign-key checks) for this load only. Needs a superuser.
        cur.execute("SET session_replication_role = replica")

        # outlets: a spread of habits, so the figures differ between them
        outlet_rows, habits = [], {}
        for i in range(1, n_outlets + 1):
            outlet_rows.append(_line([i, f"Outlet {i:02d}", f"outlet-{i:02d}", f"outlet{i:02d}.example"]))
            habits[i] = {
                "anon": rnd.uniform(0.4, 2.2),
                "just": rnd.uniform(0.1, 0.8),
                "bare": rnd.uniform(0.1, 0.7),
                "via": rnd.uniform(0.01, 0.15),
                "unsourced": rnd.uniform(0.1, 0.5),
            }
        _copy(cur, "annotations_outlet", ["id", "name", "slug", "domain"], outlet_rows)

        sentence_texts = [
            " ".join(rnd.choice(WORDS) for _ in range(30))[: SENTENCE_LEN - 1].ljust(SENTENCE_LEN - 1, "x") + "."
            for _ in range(50)
        ]
        start_day = dt.date(2024, 1, 1)
        states = ["reviewed"] * 70 + ["in_review"] * 12 + ["prepassed"] * 13 + ["imported"] * 5
        article_meta = []  # (id, outlet, state, body_length)

        def article_lines():
            for aid in range(1, n_articles + 1):
                outlet = rnd.randint(1, n_outlets)
                state = rnd.choice(states)
                body = " ".join(rnd.choice(sentence_texts) for _ in range(SENTENCES_PER_ARTICLE))
                published = start_day + dt.timedelta(days=rnd.randint(0, 729))
                article_meta.append((aid, outlet, state, len(body)))
                digest = hashlib.sha256(f"{aid}".encode()).hexdigest()
                yield _line(
                    [
                        aid,
                        outlet,
                        f"Synthetic article {aid}",
                        "",
                        f"https://outlet{outlet:02d}.example/{aid}",
                        published.isoformat(),
                        str(aid),
                        "txt",
                        "bench",
                        body,
                        body,
                        len(body),
                        "[]",
                        digest,
                        state,
                        now,
                        now,
                        "bench",
                        "1",
                        now if state != "imported" else None,
                        1,
                    ]
                )

        _copy(
            cur,
            "annotations_article",
            [
                "id",
                "outlet_id",
                "title",
                "byline",
                "url",
                "published",
                "external_id",
                "source_format",
                "source_name",
                "raw",
                "body",
                "body_length",
                "removed_lines",
                "content_hash",
                "state",
                "created_at",
                "updated_at",
                "pipeline",
                "pipeline_version",
                "processed_at",
                "version",
            ],
            article_lines(),
        )

        step = SENTENCE_LEN + 1
        labels = ["sourced", "unsourced_claim", "no_claim", "boilerplate"]

        def sentence_lines():
            sid = 0
            for aid, outlet, state, _length in article_meta:
                if state == "imported":
                    continue
                h = habits[outlet]
                for index in range(SENTENCES_PER_ARTICLE):
                    sid += 1
                    r = rnd.random()
                    if r < 0.6:
                        label = labels[1] if rnd.random() < h["unsourced"] else labels[0]
                    else:
                        label = labels[2] if r < 0.95 else labels[3]
                    review_state = "confirmed" if state == "reviewed" else "proposed"
                    yield _line(
                        [
                            sid,
                            aid,
                            index,
                            index * step,
                            index * step + SENTENCE_LEN,
                            label,
                            label,
                            "prepass",
                            "bench",
                            "1",
                            0.8,
                            review_state,
                            1,
                        ]
                    )

        _copy(
            cur,
            "annotations_sentence",
            [
                "id",
                "article_id",
                "index",
                "start",
                "end",
                "label",
                "proposed_label",
                "label_origin",
                "pipeline",
                "pipeline_version",
                "confidence",
                "review_state",
                "version",
            ],
            sentence_lines(),
        )

        types = [t for t, w in SOURCE_TYPES for _ in range(w)]
        counts = {"attributions": 0}

        def attribution_lines():
            aid_sentence = 0  # sentence ids run in article order, SENTENCES_PER_ARTICLE per processed article
            atid = 0
            for aid, outlet, state, _length in article_meta:
                if state == "imported":
                    continue
                first_sentence = aid_sentence + 1
                aid_sentence += SENTENCES_PER_ARTICLE
                h = habits[outlet]
                n = max(0, round(rnd.gauss(per_article, per_article / 3)))
                for _ in range(n):
                    atid += 1
                    index = rnd.randrange(SENTENCES_PER_ARTICLE)
                    base = index * step
                    source_type = rnd.choice(types)
                    if source_type == "anonymous" and rnd.random() > h["anon"] / 2.2:
                        source_type = "named_person"
                    anonymous = source_type == "anonymous"
                    if state == "reviewed":
                        review_state = rnd.choices(["confirmed", "corrected", "rejected", "added"], [75, 10, 8, 7])[0]
                    elif state == "in_review":
                        review_state = rnd.choices(["proposed", "confirmed", "rejected"], [60, 30, 10])[0]
                    else:
                        review_state = "proposed"
                    justified = anonymous and rnd.random() < h["just"]
                    specificity = ""
                    if anonymous:
                        specificity = "bare" if rnd.random() < h["bare"] else rnd.choice(["affiliated", "role"])
                    via = rnd.choice(VIA) if rnd.random() < h["via"] else ""
                    yield _line(
                        [
                            atid,
                            aid,
                            first_sentence + index,
                            source_type,
                            base,
                            base + 12,
                            base + 13,
                            base + 17,
                            base + 18,
                            base + 60,
                            "indirect",
                            via,
                            rnd.choice(DESCRIPTORS) if anonymous else "",
                            ("senior" if rnd.random() < 0.3 else "none") if anonymous else "",
                            "one" if anonymous else "",
                            base + 61 if justified else None,
                            base + 85 if justified else None,
                            specificity,
                            "editor" if review_state == "added" else "prepass",
                            "bench",
                            "1",
                            0.75,
                            json.dumps({"source_type": source_type}),
                            review_state,
                            1,
                            now,
                            now,
                        ]
                    )
            counts["attributions"] = atid

        _copy(
            cur,
            "annotations_attribution",
            [
                "id",
                "article_id",
                "sentence_id",
                "source_type",
                "source_start",
                "source_end",
                "cue_start",
                "cue_end",
                "content_start",
                "content_end",
                "quote_kind",
                "via",
                "anon_descriptor",
                "anon_seniority",
                "anon_number",
                "anon_justification_start",
                "anon_justification_end",
                "anon_specificity",
                "origin",
                "pipeline",
                "pipeline_version",
                "confidence",
                "proposal",
                "review_state",
                "version",
                "created_at",
                "updated_at",
            ],
            attribution_lines(),
        )
        cur.execute("SET session_replication_role = DEFAULT")
        for table in ("annotations_outlet", "annotations_article", "annotations_sentence", "annotations_attribution"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"  # noqa: S608
            )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# --- the per-article summary ------------------------------------------------------------------------

KEPT = "('confirmed', 'corrected', 'added')"  # services/counts.py KEPT_STATES
ATTRIBUTION_COUNTS = {  # column suffix -> condition, on top of the review state (services/counts.py)
    "total": "TRUE",
    "anonymous": "source_type = 'anonymous'",
    "justified": "source_type = 'anonymous' AND anon_justification_start IS NOT NULL",
    "bare": "source_type = 'anonymous' AND anon_specificity = 'bare'",
    "via": "via <> ''",
    "named": "source_type IN ('named_person', 'named_organization')",
}
SENTENCE_COUNTS = {
    "claims": "label IN ('sourced', 'unsourced_claim')",
    "unsourced": "label = 'unsourced_claim'",
}


def fill_counts(url: str) -> float:
    """Every article's ``ArticleCounts`` row in one INSERT ... SELECT (what ``rebuild_counts`` does, in bulk)."""
    import psycopg

    states = {"d": f"review_state IN {KEPT}", "p": "review_state = 'proposed'"}
    attribution_cols = [f"{prefix}_{name}" for prefix in states for name in ATTRIBUTION_COUNTS]
    attribution_aggs = [
        f"count(*) FILTER (WHERE {states[prefix]} AND {condition}) AS {prefix}_{name}"
        for prefix in states
        for name, condition in ATTRIBUTION_COUNTS.items()
    ]
    sentence_aggs = [f"count(*) FILTER (WHERE {condition}) AS {name}" for name, condition in SENTENCE_COUNTS.items()]
    columns = ["article_id", "outlet_id", "state", "published", *attribution_cols, *SENTENCE_COUNTS]
    values = [
        "a.id",
        "a.outlet_id",
        "a.state",
        "a.published",
        *(f"COALESCE(t.{c}, 0)" for c in attribution_cols),
        *(f"COALESCE(s.{c}, 0)" for c in SENTENCE_COUNTS),
    ]
    # every name above is a constant of this file
    sql = f"""
        INSERT INTO annotations_articlecounts ({", ".join(columns)})
        SELECT {", ".join(values)}
        FROM annotations_article a
        LEFT JOIN (
            SELECT article_id, {", ".join(attribution_aggs)} FROM annotations_attribution GROUP BY article_id
        ) t ON t.article_id = a.id
        LEFT JOIN (
            SELECT article_id, {", ".join(sentence_aggs)} FROM annotations_sentence GROUP BY article_id
        ) s ON s.article_id = a.id
    """  # noqa: S608
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("TRUNCATE annotations_articlecounts")
        conn.execute(sql)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE annotations_articlecounts")
    return time.perf_counter() - started


def check_counts(sample: int = 300) -> int:
    """The bulk-filled rows of ``sample`` articles equal what the service computes for them; returns the number."""
    from annotations import services
    from annotations.models import Article, ArticleCounts

    fields = [f.name for f in ArticleCounts._meta.fields if f.name != "article"]
    fields = [f if f != "outlet" else "outlet_id" for f in fields]
    ids = list(Article.objects.order_by("?").values_list("pk", flat=True)[:sample])

    def rows() -> dict:
        return {
            r["article_id"]: r for r in ArticleCounts.objects.filter(article_id__in=ids).values("article_id", *fields)
        }

    before = rows()
    services.article_counts_refresh(article_ids=ids)
    assert before == rows(), "bulk-filled counts differ from services.article_counts_refresh"
    return len(ids)


def sizes(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM annotations_{table}").fetchone()[0]  # noqa: S608 (fixed names)
            for table in ("outlet", "article", "sentence", "attribution", "articlecounts")
        }


# --- timing the pages --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_pages(repetitions: int) -> dict:
    """Each page ``repetitions`` times, after one warm-up request; every request computes its figures."""
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse

    from annotations.models import Outlet

    user, _ = User.objects.get_or_create(username="bench-standards")
    user.groups.add(Group.objects.get(name="standards"))
    client = Client()
    client.force_login(user)
    outlets = list(Outlet.objects.order_by("name")[:6])
    compare = reverse("scorecard_compare") + "?" + "&".join(f"outlet={o.slug}" for o in outlets)
    pages = {
        "overview": reverse("scorecard"),
        "outlet": reverse("scorecard_outlet", args=[outlets[0].slug]),
        "compare": compare,
        "csv": reverse("scorecard_download", args=["csv"]),
    }
    results = {}
    storage = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # no setup_test_environment(): templates render as in production, not instrumented for tests
    with override_settings(STORAGES=storage, ALLOWED_HOSTS=["testserver"]):
        for name, url in pages.items():
            client.get(url)  # warm up (plans, connections)
            times, queries = [], 0
            for _ in range(repetitions):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (url, response.status_code)
                times.append(elapsed)
                queries = max(queries, len(captured.captured_queries))
            results[name] = {
                "url": url,
                "p50": statistics.median(times),
                "p95": percentile(times, 0.95),
                "min": min(times),
                "max": max(times),
                "queries": queries,
            }
    return results


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url)
    setup_django(args.database_url)
    have = sizes(args.database_url)
    generated = counted = False
    if not (args.reuse and have["article"] == args.articles and have["outlet"] == args.outlets):
        started = time.perf_counter()
        generate(args.database_url, args.articles, args.outlets, args.attributions_per_article, args.seed)
        generated = time.perf_counter() - started
        have = sizes(args.database_url)
    if generated or have["articlecounts"] != have["article"]:
        counted = fill_counts(args.database_url)
        have = sizes(args.database_url)
    checked = check_counts()
    timings = time_pages(args.repetitions)

    print(f"database      {args.database_url.rsplit('/', 1)[1]}")
    for table in ("outlet", "article", "sentence", "attribution", "articlecounts"):
        print(f"{table:<14}{have[table]:>10,}")
    if generated:
        print(f"generated in  {generated:>10.1f} s (COPY + VACUUM ANALYZE)")
    if counted:
        print(f"counts in     {counted:>10.1f} s (one INSERT ... SELECT ... GROUP BY + VACUUM ANALYZE)")
    print(f"checked       {checked:>10,} articles' counts against services.article_counts_refresh: equal")
    print()
    print(f"{'page':<10} {'p50 ms':>8} {'p95 ms':>8} {'min ms':>8} {'max ms':>8} {'queries':>8}  url")
    for name, t in timings.items():
        print(
            f"{name:<10} {t['p50']:>8.1f} {t['p95']:>8.1f} {t['min']:>8.1f} {t['max']:>8.1f} "
            f"{t['queries']:>8}  {t['url']}"
        )
    print(
        f"({args.repetitions} requests each after one warm-up, logged-in standards user, Django test Client; "
        "every request computes its figures in SQL from the per-article counts: no result cache)"
    )
    load = os.getloadavg()
    print(f"load average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    pages = ("overview", "outlet")
    print(
        json.dumps(
            {
                "articles": have["article"],
                "attributions": have["attribution"],
                "overview_p50_ms": round(timings["overview"]["p50"], 1),
                "overview_p95_ms": round(timings["overview"]["p95"], 1),
                "outlet_p50_ms": round(timings["outlet"]["p50"], 1),
                "outlet_p95_ms": round(timings["outlet"]["p95"], 1),
                "queries": max(timings[name]["queries"] for name in pages),
                "sentences": have["sentence"],
                "overview_queries": timings["overview"]["queries"],
                "outlet_queries": timings["outlet"]["queries"],
                "compare_p50_ms": round(timings["compare"]["p50"], 1),
                "compare_p95_ms": round(timings["compare"]["p95"], 1),
                "csv_p50_ms": round(timings["csv"]["p50"], 1),
                "csv_p95_ms": round(timings["csv"]["p95"], 1),
                "counts_fill_s": round(counted, 1) if counted else None,
                "load_average": round(load[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
