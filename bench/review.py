"""Review page benchmark: a 5,000-word article with 200 proposals on PostgreSQL.

    .venv/bin/python bench/review.py
    .venv/bin/python bench/review.py --page-runs 100 --action-runs 150 --database-url postgres://…/name

Builds the article (database created and migrated if missing, then emptied of earlier bench rows),
then times, with Django's test Client in this process (server time: URL routing, middleware, views,
queries, templates, gzip):
- the review page (GET, the full page), and its number of queries;
- a confirm action as htmx sends it (the card, the sentence and the progress fragments), and its queries;
and weighs the page with its CSS and JS gzip-compressed (page_kb).
The server's own setting is measured: newsroom/wsgi.py freezes the startup heap out of the garbage
collector's way (newsroom/heap.py), and so does this process once the article is built. The page is also
timed first without it (`unfrozen`, the baseline of the same run): every few requests a full collection
walked the whole heap (~40 ms), which made the page's p95 twice its p50.
Prints a table, then one JSON line:
{"page_p50_ms", "page_p95_ms", "page_queries", "page_kb", "action_p50_ms", "action_p95_ms", "action_queries",
 "unfrozen_page_p50_ms", "unfrozen_page_p95_ms"}.
Targets: page p95 < 100 ms at 5,000 words / 200 proposals with 6 queries, action p95 < 40 ms, page_kb < 200.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_review"
WORDS = 5000
PROPOSALS = 200
ASSETS = ("css/app.css", "vendor/htmx.min.js", "js/app.js", "js/review.js")
sys.path.insert(0, str(ROOT))
from bench.common import FILLER, SOURCES  # noqa: E402


def setup_django(database_url: str) -> None:
    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("SECURE_COOKIES", "0")  # plain HTTP on loopback: no HTTPS redirect
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def build_article(rng: random.Random):
    """One article of ~5,000 words in ~250 sentences; 200 of them hold a proposed attribution."""
    from django.contrib.auth.models import Group, User

    from annotations import services
    from annotations.models import Article, ArticleState, Attribution, Outlet, Sentence

    outlet, _ = Outlet.objects.get_or_create(name="Bench Review Gazette", defaults={"slug": "bench-review-gazette"})
    Article.objects.filter(outlet=outlet).delete()  # earlier runs (their events stay: the log is append-only)
    user = User.objects.filter(username="bench-review").first() or User.objects.create_user(
        "bench-review", password="bench-review-pass"
    )
    user.groups.add(Group.objects.get(name="editor"))

    texts, spans, words = [], [], 0
    offset = 0
    index = 0
    while words < WORDS:
        filler = " ".join(rng.choice(FILLER) for _ in range(rng.randint(12, 20)))
        if index < PROPOSALS:
            source_type, source = SOURCES[index % len(SOURCES)]
            sentence = f"{source} said the {filler}."
            s_start = offset
            spans.append(
                {
                    "source_type": source_type,
                    "source": (s_start, s_start + len(source)),
                    "cue": (s_start + len(source) + 1, s_start + len(source) + 5),
                    "content": (s_start + len(source) + 6, s_start + len(sentence) - 1),
                }
            )
        else:
            sentence = f"The {filler}."
        texts.append(sentence)
        words += len(sentence.split())
        offset += len(sentence) + 1
        index += 1
    body = " ".join(texts)
    article = Article.objects.create(
        outlet=outlet,
        title="Bench: harbour fees, 5,000 words",
        raw=body,
        body=body,
        content_hash=services.content_hash(body + str(time.time())),
        state=ArticleState.PREPASSED,
        pipeline="bench",
        pipeline_version="1",
    )
    sentences, start = [], 0
    for i, text in enumerate(texts):
        sentences.append(
            Sentence(
                article=article,
                index=i,
                start=start,
                end=start + len(text),
                label="sourced" if i < PROPOSALS else "no_claim",
                proposed_label="sourced" if i < PROPOSALS else "no_claim",
                confidence=0.8,
                pipeline="bench",
                pipeline_version="1",
            )
        )
        start += len(text) + 1
    sentences = Sentence.objects.bulk_create(sentences)
    attributions = []
    for i, span in enumerate(spans):
        anonymous = span["source_type"] == "anonymous"
        attributions.append(
            Attribution(
                article=article,
                sentence=sentences[i],
                source_type=span["source_type"],
                source_start=span["source"][0],
                source_end=span["source"][1],
                cue_start=span["cue"][0],
                cue_end=span["cue"][1],
                content_start=span["content"][0],
                content_end=span["content"][1],
                quote_kind="indirect",
                anon_descriptor="government" if anonymous else "",
                anon_seniority="senior" if anonymous else "",
                anon_specificity="affiliated" if anonymous else "",
                confidence=round(rng.uniform(0.2, 0.99), 2),
                pipeline="bench",
                pipeline_version="1",
                proposal={"source_type": span["source_type"]},
            )
        )
    Attribution.objects.bulk_create(attributions)
    return article, user, words, len(sentences)


def time_requests(send, runs: int, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock ms of each request; ``cpu`` collects this process's CPU ms (no DB wait, less noise)."""
    times = []
    for i in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        response = send(i)
        times.append((time.perf_counter() - t0) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200, response.status_code
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--page-runs", type=int, default=60)
    parser.add_argument("--action-runs", type=int, default=150)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    if args.action_runs > PROPOSALS - 10:
        parser.error(f"--action-runs must stay below {PROPOSALS - 10}: each run confirms a different proposal")
    setup_django(args.database_url)

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse

    from annotations.models import Attribution

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # DEBUG stays off; the test Client's host name is allowed; plain static storage (no manifest needed)
    with override_settings(STORAGES=storages, ALLOWED_HOSTS=["testserver"]):
        rng = random.Random(args.seed)
        article, user, words, sentence_count = build_article(rng)
        client = Client(HTTP_ACCEPT_ENCODING="gzip")
        client.force_login(user)
        url = article.get_absolute_url()

        # the page
        for _ in range(3):
            client.get(url)
        with CaptureQueriesContext(connection) as page_ctx:
            page = client.get(url)
        page_queries = len(page_ctx.captured_queries)  # (the log is cleared at the next request)
        assert page.status_code == 200
        page_gz = len(page.content) if page.get("Content-Encoding") == "gzip" else len(gzip.compress(page.content))
        page_raw = len(gzip.decompress(page.content)) if page.get("Content-Encoding") == "gzip" else len(page.content)
        assets_gz = sum(len(gzip.compress((ROOT / "static" / asset).read_bytes(), 6)) for asset in ASSETS)
        # baseline: the collector as a plain process has it; then as newsroom/wsgi.py leaves it
        unfrozen_times = time_requests(lambda i: client.get(url), args.page_runs)
        from newsroom.heap import freeze_startup_heap

        frozen = freeze_startup_heap()
        page_cpu: list[float] = []
        page_times = time_requests(lambda i: client.get(url), args.page_runs, page_cpu)

        # confirm actions, as htmx sends them: a different proposal each time
        proposals = list(article.attributions.in_reading_order().values_list("pk", "version"))
        hx = {"HTTP_HX_REQUEST": "true"}
        warm_pk, warm_version = proposals[0]
        client.post(reverse("review_confirm", args=[warm_pk]), {"version": warm_version}, **hx)
        probe_pk, probe_version = proposals[1]
        with CaptureQueriesContext(connection) as action_ctx:
            probe = client.post(reverse("review_confirm", args=[probe_pk]), {"version": probe_version}, **hx)
        action_queries = len(action_ctx.captured_queries)
        assert probe.status_code == 200 and "attribution-changed" in probe["HX-Trigger"]
        queue = proposals[2 : 2 + args.action_runs]
        action_cpu: list[float] = []
        action_times = time_requests(
            lambda i: client.post(reverse("review_confirm", args=[queue[i][0]]), {"version": queue[i][1]}, **hx),
            len(queue),
            action_cpu,
        )
        confirmed = Attribution.objects.filter(article=article, review_state="confirmed").count()
        assert confirmed == len(queue) + 2, confirmed

    figures = {
        "page_p50_ms": round(percentile(page_times, 50), 1),
        "page_p95_ms": round(percentile(page_times, 95), 1),
        "page_queries": page_queries,
        "page_kb": round((page_gz + assets_gz) / 1024, 1),
        "action_p50_ms": round(percentile(action_times, 50), 1),
        "action_p95_ms": round(percentile(action_times, 95), 1),
        "action_queries": action_queries,
        "unfrozen_page_p50_ms": round(percentile(unfrozen_times, 50), 1),
        "unfrozen_page_p95_ms": round(percentile(unfrozen_times, 95), 1),
    }
    print(f"article: {words} words, {sentence_count} sentences, {PROPOSALS} proposals, body {len(article.body)} chars")
    print(f"page: {page_raw / 1024:.0f} KB html, {page_gz / 1024:.1f} KB gzip; assets {assets_gz / 1024:.1f} KB gzip")
    rows = [
        (
            "review page, heap not frozen",
            args.page_runs,
            figures["unfrozen_page_p50_ms"],
            figures["unfrozen_page_p95_ms"],
            "",
            figures["page_queries"],
        ),
        (
            "review page (GET)",
            args.page_runs,
            figures["page_p50_ms"],
            figures["page_p95_ms"],
            round(percentile(page_cpu, 50), 1),
            figures["page_queries"],
        ),
        (
            "confirm (htmx POST)",
            len(queue),
            figures["action_p50_ms"],
            figures["action_p95_ms"],
            round(percentile(action_cpu, 50), 1),
            figures["action_queries"],
        ),
    ]
    headers = ("request", "runs", "p50 ms", "p95 ms", "cpu p50 ms", "queries")
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*headers))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall-clock figures include waiting for them)"
    )
    print(f"startup heap frozen as newsroom/wsgi.py does: {frozen:,} objects (newsroom/heap.py)")
    print(f"targets: page p95 < 100 ms, action p95 < 40 ms, page_kb < 200 (page + {len(ASSETS)} assets)")
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
