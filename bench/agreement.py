"""Agreement page benchmark (issue 15): 1,000 double-reviewed articles on PostgreSQL.

    .venv/bin/python bench/agreement.py
    .venv/bin/python bench/agreement.py --articles 200 --runs 30 --database-url postgres://…/name
    .venv/bin/python bench/agreement.py --reuse        # keep the data if the database already holds that many

Builds its own database (created and migrated if missing): four outlets, articles of ~15 sentences with ~8
pre-pass proposals each, every one marked for double review through the services (two editors, one in ten three),
each editor's layer decided (confirmations, corrections of source type and anonymity, rejections, additions, label
changes drawn at random) and submitted through ``article_mark_reviewed``, so every review closes the way it does
on the desk and stores its figures. Then, with Django's test Client in this process as a standards editor (server
time: routing, middleware, views, queries, templates), times
- the agreement page over all of them (GET /agreement/), and its number of queries;
- the side-by-side adjudication page of the article the editors differed on most, and its queries;
- the JSON download of every figure (once).
Prints a table, then one JSON line (last):
{"articles", "agreement_p50_ms", "agreement_p95_ms", "agreement_queries", "adjudication_p50_ms",
 "adjudication_p95_ms", "adjudication_queries", "download_ms", "build_s"}.
Target: agreement page p95 < 300 ms at 1,000 double-reviewed articles, with a constant number of queries.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import FILLER, SOURCES, percentile, print_json, print_table, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_agreement"
OUTLETS = ("Bench Harbour Gazette", "Bench Evening Wire", "Bench Valley Signal", "Bench Metro Post")
EDITORS = ("bench-anna", "bench-ben", "bench-cleo")
TYPES = [t for t, _ in SOURCES]
LABELS = ("sourced", "unsourced_claim", "no_claim", "boilerplate")


def users():
    from django.contrib.auth.models import Group, User

    editors = []
    for name in EDITORS:
        user = User.objects.filter(username=name).first() or User.objects.create_user(name, password="bench-pass-1")
        user.groups.add(Group.objects.get(name="editor"))
        editors.append(user)
    chief = User.objects.filter(username="bench-chief").first() or User.objects.create_user(
        "bench-chief", password="bench-pass-1"
    )
    chief.groups.add(Group.objects.get(name="standards"))
    return editors, chief


def build_articles(rng: random.Random, n: int) -> list[int]:
    """``n`` pre-passed articles: ~15 sentences, ~8 of them holding a proposal."""
    from annotations import services
    from annotations.models import Article, ArticleState, Attribution, Sentence

    outlets = [services.outlet_get_or_create(name=name) for name in OUTLETS]
    ids = []
    for k in range(n):
        texts, spans = [], []
        offset = 0
        for i in range(rng.randint(12, 18)):
            filler = " ".join(rng.choice(FILLER) for _ in range(rng.randint(10, 18)))
            if i % 2 == 0 and len(spans) < 9:
                source_type, source = SOURCES[rng.randrange(len(SOURCES))]
                sentence = f"{source} said the {filler}."
                spans.append((i, source_type, offset, len(source), len(sentence)))
            else:
                sentence = f"The {filler}."
            texts.append(sentence)
            offset += len(sentence) + 1
        body = " ".join(texts)
        article = Article.objects.create(
            outlet=outlets[k % len(outlets)],
            title=f"Bench agreement article {k}",
            raw=body,
            body=body,
            content_hash=services.content_hash(f"{body} {k} {time.time()}"),
            state=ArticleState.PREPASSED,
            published=f"2026-{1 + k % 12:02d}-{1 + k % 27:02d}",
            pipeline="bench",
            pipeline_version="1",
        )
        sentences, start = [], 0
        for i, text in enumerate(texts):
            label = "sourced" if text.endswith(".") and " said the " in text else "no_claim"
            sentences.append(
                Sentence(
                    article=article,
                    index=i,
                    start=start,
                    end=start + len(text),
                    label=label,
                    proposed_label=label,
                    confidence=0.8,
                    pipeline="bench",
                    pipeline_version="1",
                )
            )
            start += len(text) + 1
        sentences = Sentence.objects.bulk_create(sentences)
        rows = []
        for i, source_type, at, source_len, sentence_len in spans:
            anonymous = source_type == "anonymous"
            rows.append(
                Attribution(
                    article=article,
                    sentence=sentences[i],
                    source_type=source_type,
                    source_start=at,
                    source_end=at + source_len,
                    cue_start=at + source_len + 1,
                    cue_end=at + source_len + 5,
                    content_start=at + source_len + 6,
                    content_end=at + sentence_len - 1,
                    quote_kind="indirect",
                    anon_descriptor="government" if anonymous else "",
                    anon_seniority="senior" if anonymous else "",
                    anon_specificity="affiliated" if anonymous else "",
                    confidence=round(rng.uniform(0.3, 0.99), 2),
                    pipeline="bench",
                    pipeline_version="1",
                    proposal={"source_type": source_type},
                )
            )
        Attribution.objects.bulk_create(rows)
        ids.append(article.pk)
    services.article_counts_refresh(article_ids=ids)
    return ids


def decide_layer(rng: random.Random, layer) -> None:
    """One editor's decisions on their copy, drawn at random, written as the review services leave them; then the
    layer is submitted through ``article_mark_reviewed`` (which closes the review after the last one)."""
    from django.utils import timezone

    from annotations import services
    from annotations.models import Article, Attribution, Origin, Sentence

    editor, now = layer.editor, timezone.now()
    copies = list(Attribution.objects.filter(article_id=layer.article_id))
    changed = []
    for a in copies:
        roll = rng.random()
        a.reviewed_by, a.reviewed_at = editor, now
        if roll < 0.08:
            a.review_state = "rejected"
        elif roll < 0.16:
            a.review_state = "corrected"
            a.source_type = rng.choice(TYPES)
            if a.source_type != "anonymous":
                a.anon_descriptor = a.anon_seniority = a.anon_specificity = ""
            else:
                a.anon_specificity = rng.choice(("bare", "affiliated", "role"))
        elif roll < 0.22:
            a.review_state = "corrected"
            a.source_start = min(a.source_start + rng.randint(1, 4), a.source_end - 1)
        else:
            a.review_state = "confirmed"
        changed.append(a)
    fields = ["review_state", "reviewed_by", "reviewed_at", "source_type", "source_start"]
    Attribution.objects.bulk_update(
        changed, [*fields, "anon_descriptor", "anon_seniority", "anon_specificity"], batch_size=500
    )
    if rng.random() < 0.15 and copies:  # something the pre-pass missed
        base = rng.choice(copies)
        Attribution.objects.create(
            article_id=layer.article_id,
            sentence_id=base.sentence_id,
            source_type="unspecified",
            cue_start=base.content_end - 4,
            cue_end=base.content_end,
            origin=Origin.EDITOR,
            review_state="added",
            reviewed_by=editor,
            reviewed_at=now,
        )
    sentences = list(Sentence.objects.filter(article_id=layer.article_id))
    for s in sentences:
        if rng.random() < 0.12:
            s.label = rng.choice([x for x in LABELS if x != s.label])
            s.review_state, s.reviewed_by, s.reviewed_at = "corrected", editor, now
    Sentence.objects.bulk_update(sentences, ["label", "review_state", "reviewed_by", "reviewed_at"], batch_size=500)
    version = Article.objects.filter(pk=layer.article_id).values_list("version", flat=True).get()
    services.article_mark_reviewed(article_id=layer.article_id, user=editor, version=version)


def build(rng: random.Random, n: int, editors, chief) -> None:
    from annotations import services
    from annotations.models import Article, ArticleState, DoubleReview, Outlet

    Article.objects.filter(outlet__name__in=OUTLETS, state=ArticleState.LAYER).delete()
    Article.objects.filter(outlet__name__in=OUTLETS).delete()  # earlier runs (their events stay: append-only)
    ids = build_articles(rng, n)
    pairs = [(0, 1), (1, 2), (0, 2)]
    for k, pk in enumerate(ids):
        chosen = list(editors) if k % 10 == 9 else [editors[i] for i in pairs[k % 3]]
        services.double_review_mark(article_ids=[pk], editors=chosen, batch=f"bench {k % 4}", by=chief)
        review = DoubleReview.objects.get(article_id=pk)
        for layer in review.layers.select_related("editor").order_by("position"):
            decide_layer(rng, layer)
        if (k + 1) % 100 == 0:
            print(f"  {k + 1} of {n} double-reviewed", flush=True)
    assert Outlet.objects.filter(name__in=OUTLETS).count() == len(OUTLETS)


def time_get(client, url: str, runs: int) -> tuple[list[float], int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        assert client.get(url).status_code == 200
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    queries = len(ctx.captured_queries)  # (read now: the next request clears the log)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    return times, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="keep the data when the database holds that many")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from annotations.models import DoubleReview, DoubleReviewStage

    rng = random.Random(args.seed)
    editors, chief = users()
    t0 = time.perf_counter()
    closed = DoubleReview.objects.filter(
        article__outlet__name__in=OUTLETS, stage=DoubleReviewStage.ADJUDICATION
    ).count()
    if not (args.reuse and closed == args.articles):
        print(f"building {args.articles} double-reviewed articles …", flush=True)
        build(rng, args.articles, editors, chief)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    build_s = time.perf_counter() - t0
    reviews = DoubleReview.objects.filter(article__outlet__name__in=OUTLETS, stage=DoubleReviewStage.ADJUDICATION)
    count = reviews.count()
    assert count == args.articles, count
    worst = reviews.order_by("-disagreements", "pk").first()

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(chief)
        agreement_times, agreement_queries = time_get(client, reverse("agreement"), args.runs)
        page = client.get(reverse("agreement")).content.decode()
        assert f'id="agreement-articles">{count}<' in page, "the page counts every double-reviewed article"
        adjudication_url = reverse("adjudication", args=[worst.article_id])
        adjudication_times, adjudication_queries = time_get(client, adjudication_url, args.runs)
        t1 = time.perf_counter()
        download = client.get(reverse("agreement_download", args=["json"]))
        download_ms = (time.perf_counter() - t1) * 1000
        assert download.status_code == 200

    figures = {
        "articles": count,
        "agreement_p50_ms": round(percentile(agreement_times, 50), 1),
        "agreement_p95_ms": round(percentile(agreement_times, 95), 1),
        "agreement_queries": agreement_queries,
        "adjudication_p50_ms": round(percentile(adjudication_times, 50), 1),
        "adjudication_p95_ms": round(percentile(adjudication_times, 95), 1),
        "adjudication_queries": adjudication_queries,
        "download_ms": round(download_ms, 1),
        "build_s": round(build_s, 1),
    }
    print(
        f"{count} double-reviewed articles (4 outlets, 3 editors, one in ten by all three); "
        f"adjudication page: article {worst.article_id}, {worst.disagreements} differences of {worst.units} items"
    )
    print_table(
        [
            (
                "agreement page (GET)",
                args.runs,
                figures["agreement_p50_ms"],
                figures["agreement_p95_ms"],
                agreement_queries,
            ),
            (
                "adjudication page (GET)",
                args.runs,
                figures["adjudication_p50_ms"],
                figures["adjudication_p95_ms"],
                adjudication_queries,
            ),
            ("JSON download (GET)", 1, figures["download_ms"], figures["download_ms"], "-"),
        ],
        ("request", "runs", "p50 ms", "p95 ms", "queries"),
    )
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall-clock figures include waiting for them)"
    )
    print("target: agreement page p95 < 300 ms at 1,000 double-reviewed articles")
    print_json(figures)


if __name__ == "__main__":
    main()
