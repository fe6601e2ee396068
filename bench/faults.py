"""Fault bench: a task worker killed mid-batch, and PostgreSQL restarted while editors work.

    .venv/bin/python bench/faults.py                    # both
    .venv/bin/python bench/faults.py --only worker      # or: --only postgres (restarts the local cluster)

1. **worker**: a fresh database; ``--articles`` generated articles imported and queued (django-tasks-db);
   ``manage.py db_worker`` started; SIGKILL as soon as some, not all, articles are pre-passed. Checked then:
   every article is either pre-passed with its sentences and proposals or untouched (no half-processed
   article), and no sentence or proposal is stored twice. A new worker is started (with
   ``PROCESSING_STALE_MINUTES=0``: the dead worker's claims are stale at once); checked when it is done:
   every article pre-passed exactly once, counts equal to a rebuild.
2. **postgres**: gunicorn serving the desk; an editor client confirms and rejects proposals in a loop;
   the PostgreSQL cluster is restarted (``pg_ctlcluster … restart``) in the middle. Counted: answers by
   status during the outage (each must be a clear error page, 500 or 503, never a hang past the client's
   timeout), writes that returned 200 but are missing, and whether work resumes once it is back (the first
   successful write after the restart, in seconds). The event log is then checked against the final state
   of every attribution (no partial write).

Prints a table, then one JSON line: {"worker_killed_after", "worker_half_processed", "worker_duplicates",
"worker_completed", "pg_requests", "pg_errors_during_outage", "pg_hangs", "pg_lost_writes",
"pg_resumed_after_s", "pg_event_log_consistent"}.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench" / "load"))

from common import article_text, print_json, print_table, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_faults"


def manage(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def article_health() -> tuple[int, int, int]:
    """(pre-passed, half-processed, duplicated) articles, from SQL."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT
              count(*) FILTER (WHERE a.state = 'prepassed' AND s.n > 0),
              count(*) FILTER (WHERE (a.state = 'prepassed') <> (coalesce(s.n, 0) > 0)),
              (SELECT count(*) FROM (SELECT article_id, "index" FROM annotations_sentence
                                     GROUP BY article_id, "index" HAVING count(*) > 1) d)
              + (SELECT count(*) FROM (SELECT article_id, cue_start, cue_end, source_start, source_end
                                       FROM annotations_attribution WHERE origin = 'prepass'
                                       GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1) d)
            FROM annotations_article a
            LEFT JOIN (SELECT article_id, count(*) AS n FROM annotations_sentence GROUP BY article_id) s
              ON s.article_id = a.id
            """
        )
        return cur.fetchone()


def worker_fault(database_url: str, articles: int) -> dict:
    from annotations import services
    from annotations.models import Article

    rng = random.Random(3)
    files = [(f"fault{i}.txt", article_text(rng, i).encode()) for i in range(articles)]
    summary = services.articles_import(files=files, enqueue=True)  # django-tasks-db: queued, not run
    total = len(summary.imported)
    env = {**os.environ, "DATABASE_URL": database_url, "TASKS_BACKEND": "database", "DEBUG": "1"}
    worker = manage("db_worker", "--no-reload", "--interval", "0.2", env=env)
    killed_after = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        done = Article.objects.filter(state="prepassed").count()
        if 0 < done < total:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            killed_after = done
            break
        time.sleep(0.05)
    done, half, dup = article_health()
    env_restart = {**env, "PROCESSING_STALE_MINUTES": "0"}
    worker = manage("db_worker", "--no-reload", "--interval", "0.2", "--batch", env=env_restart)
    try:
        worker.wait(timeout=600)
    finally:
        if worker.poll() is None:
            worker.kill()
    done2, half2, dup2 = article_health()
    return {
        "articles": total,
        "worker_killed_after": killed_after,
        "worker_half_processed": half + half2,
        "worker_duplicates": dup + dup2,
        "worker_completed": done2 == total,
        "_after_kill": (done, half, dup),
        "_after_restart": (done2, half2, dup2),
    }


def postgres_fault(database_url: str, seconds: float) -> dict:
    import urllib.error

    from run import Client, free_port, seed, wait_for  # the load bench's helpers

    from annotations.models import Attribution, Event

    seed(30, 1)
    from django.core.management import call_command
    from django.db import connections

    call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "TASKS_BACKEND": "immediate", "LOG_LEVEL": "ERROR"}
    env.pop("DEBUG", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "newsroom.wsgi", f"--bind=127.0.0.1:{port}", "--workers=2"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    from django.contrib.auth.models import Group, User

    User.objects.create_user("faults", password="load-test-pass").groups.add(Group.objects.get(name="standards"))
    connections.close_all()
    wait_for(f"{base}/accounts/login/")
    client = Client(base, "faults")
    targets = list(Attribution.objects.order_by("pk").values_list("pk", "version"))
    connections.close_all()
    versions = dict(targets)
    log = []  # (t, status, pk, action)
    acknowledged = []  # (pk, action) answered 200
    started = time.monotonic()
    restart_at = started + seconds / 3
    restarted = None
    i = 0
    while time.monotonic() - started < seconds:
        if restarted is None and time.monotonic() >= restart_at:
            restarted = time.monotonic()
            subprocess.Popen(
                ["bash", "-c", "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main restart"]
            )
        pk = targets[i % len(targets)][0]
        action = "confirm" if i % 2 == 0 else "reject"
        t0 = time.monotonic()
        try:
            status = client.post(f"/attributions/{pk}/{action}/", {"version": versions[pk]}, {"HX-Request": "true"})
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            status = 0  # no answer at all
        log.append((t0 - started, time.monotonic() - t0, status, pk, action))
        if status == 200:
            versions[pk] += 1
            acknowledged.append((pk, action))
        elif status == 409:
            versions[pk] = Attribution.objects.get(pk=pk).version
            connections.close_all()
        i += 1
        time.sleep(0.02)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    for _ in range(60):  # the cluster may still be starting
        try:
            connections.close_all()
            Attribution.objects.exists()
            break
        except Exception:
            time.sleep(1)
    rel = restarted - started if restarted else 0
    after = [e for e in log if e[0] >= rel]
    errors = [e for e in after if e[2] not in (200, 409)]
    resumed = next((e[0] - rel for e in after if e[2] == 200 and errors and e[0] > errors[0][0]), None)
    # every acknowledged write is in the log, and each attribution's state is its last event's
    consistent = True
    lost = 0
    for pk in {pk for pk, _ in acknowledged}:
        attribution = Attribution.objects.get(pk=pk)
        events = list(Event.objects.filter(object_type="attribution", object_id=pk).order_by("pk"))
        if len(events) < sum(1 for a, _ in acknowledged if a == pk):
            lost += 1
        if not events or (events[-1].after or {}).get("review_state") != attribution.review_state:
            consistent = False
    return {
        "pg_requests": len(log),
        "pg_errors_during_outage": len(errors),
        "pg_error_statuses": sorted({e[2] for e in errors}),
        "pg_hangs": sum(1 for e in log if e[1] > 25),
        "pg_lost_writes": lost,
        "pg_resumed_after_s": round(resumed, 1) if resumed is not None else None,
        "pg_event_log_consistent": consistent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("worker", "postgres"))
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--seconds", type=float, default=45, help="length of the PostgreSQL scenario")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    os.environ.update(
        {"SECRET_KEY": "faults-bench", "ALLOWED_HOSTS": "127.0.0.1", "SECURE_COOKIES": "0", "TASKS_BACKEND": "database"}
    )
    figures: dict = {}
    rows = []
    if args.only in (None, "worker"):
        setup_django(args.database_url, fresh=True)
        w = worker_fault(args.database_url, args.articles)
        rows += [
            ("worker: articles", w["articles"]),
            ("worker: pre-passed when killed", w["worker_killed_after"]),
            ("worker: after kill (done, half, duplicated)", w.pop("_after_kill")),
            ("worker: after restart (done, half, duplicated)", w.pop("_after_restart")),
        ]
        figures.update(w)
    if args.only in (None, "postgres"):
        if args.only is None:
            from django.db import connections

            connections.close_all()
        setup_django(args.database_url, fresh=True)
        p = postgres_fault(args.database_url, args.seconds)
        rows += [(f"postgres: {k[3:]}", v) for k, v in p.items()]
        p.pop("pg_error_statuses")
        figures.update(p)
    print_table([(k, str(v)) for k, v in rows], ("figure", "value"))
    figures.pop("articles", None)
    print_json(figures)


if __name__ == "__main__":
    main()
