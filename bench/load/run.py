"""Load bench: 50 simulated editors reviewing for two minutes against gunicorn and PostgreSQL on loopback,
then twenty clients confirming one attribution at the same version.

    .venv/bin/python bench/load/run.py                  # 50 users, 2 minutes
    .venv/bin/python bench/load/run.py --users 10 --minutes 0.5 --articles 60

Steps (all on 127.0.0.1; nothing else is contacted):
1. a fresh database ``sourcing_desk_bench_load``: generated articles imported and pre-passed, editors
   ``load01`` … ``loadNN`` created;
2. gunicorn (``newsroom.wsgi``, DEBUG off, plain HTTP) on a free port, ``--workers`` processes;
3. locust headless (``bench/load/locustfile.py``), ``--users`` editors spawned ``--spawn-rate`` a second (each
   logs in: a once-a-day cost of a deliberately slow password hash, so the statistics are reset once all are
   in), then ``--minutes`` of reviewing, measured; its CSV statistics are read back;
4. the race: twenty logged-in clients POST "confirm" for one attribution with the same version at the
   same moment. Exactly one must win (200), the rest must get 409, and the event log must hold exactly
   one confirm event for it, matching the attribution's final state and version.

Prints a table (per request kind: requests, failures, p50/p95/p99 ms), then one JSON line:
{"users", "seconds", "requests", "requests_per_s", "failures", "p50_ms", "p95_ms", "p99_ms",
 "race_clients", "race_won", "race_409", "race_events", "race_consistent"}.
Targets (issue 13): 0 failures, p95 under 250 ms, race_won 1, race_409 19, race_consistent true.
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import article_text, print_json, print_table, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_load"
PASSWORD = "load-test-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(articles: int, users: int) -> None:
    from django.contrib.auth.models import Group, User

    from annotations import services

    rng = random.Random(5)
    files = [(f"load{i}.txt", article_text(rng, i).encode()) for i in range(articles)]
    summary = services.articles_import(files=files, enqueue=False)
    services.articles_process(article_ids=summary.imported)
    editors = Group.objects.get(name="editor")
    for n in range(1, users + 1):
        user = User.objects.create_user(f"load{n:02d}", password=PASSWORD)
        user.groups.add(editors)


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 (loopback http only)
            return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer within {seconds:.0f} s")


class Client:
    """A logged-in browser-like client (cookies, CSRF) on urllib: no extra dependency."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        self.post("/accounts/login/", {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def post(self, path: str, data: dict, headers: dict | None = None) -> int:
        body = urllib.parse.urlencode(data).encode()
        headers = {"X-CSRFToken": self.csrf(), **(headers or {})}
        req = urllib.request.Request(f"{self.base}{path}", data=body, headers=headers)  # noqa: S310 (loopback)
        try:
            with self.opener.open(req, timeout=30) as resp:
                resp.read()
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code


def race(base: str, clients: int) -> dict:
    """``clients`` editors confirm one attribution with the same version at once."""
    from annotations.models import Article, ArticleState, Attribution, Event

    article = Article.objects.filter(state=ArticleState.PREPASSED, assignee__isnull=True).order_by("pk").first()
    attribution = Attribution.objects.filter(article=article, review_state="proposed").order_by("pk").first()
    version = attribution.version
    # standards editors may act on any article, whoever holds it: the race is on the version alone
    from django.contrib.auth.models import Group, User

    standards = Group.objects.get(name="standards")
    users = [f"race{n:02d}" for n in range(1, clients + 1)]
    for name in users:
        User.objects.create_user(name, password=PASSWORD).groups.add(standards)
    logged_in = [Client(base, name) for name in users]
    before = Event.objects.filter(object_type="attribution", object_id=attribution.pk).count()
    start = threading.Barrier(len(logged_in))
    codes: list[int] = []
    lock = threading.Lock()

    def confirm(client: Client) -> None:
        start.wait()
        code = client.post(f"/attributions/{attribution.pk}/confirm/", {"version": version}, {"HX-Request": "true"})
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=confirm, args=(c,)) for c in logged_in]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    attribution.refresh_from_db()
    events = Event.objects.filter(object_type="attribution", object_id=attribution.pk).order_by("pk")
    new_events = list(events)[before:]
    consistent = (
        len(new_events) == 1
        and new_events[0].action == "confirm"
        and attribution.review_state == "confirmed"
        and attribution.version == version + 1
        and (new_events[0].after or {}).get("review_state") == "confirmed"
    )
    return {
        "race_clients": len(logged_in),
        "race_won": codes.count(200),
        "race_409": codes.count(409),
        "race_other": sorted(c for c in codes if c not in (200, 409)),
        "race_events": len(new_events),
        "race_consistent": consistent,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    parser.add_argument("--spawn-rate", type=float, default=2, help="editors starting per second (each logs in)")
    parser.add_argument("--race-clients", type=int, default=20)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--locust", default=shutil.which("locust", path=str(Path(sys.executable).parent)) or "locust")
    args = parser.parse_args()

    os.environ.update({"SECRET_KEY": "load-bench", "ALLOWED_HOSTS": "127.0.0.1", "SECURE_COOKIES": "0"})
    os.environ.pop("DEBUG", None)
    setup_django(args.database_url, fresh=True)
    seed(args.articles, args.users)
    from django.core.management import call_command
    from django.db import connections

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: hashed static files
    connections.close_all()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": args.database_url, "TASKS_BACKEND": "immediate", "LOG_LEVEL": "ERROR"}
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "newsroom.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={args.workers}",
            f"--threads={args.threads}",
            "--log-level=warning",
            "--timeout=120",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(f"{base}/accounts/login/")
        out = Path(tempfile.mkdtemp(prefix="load-"))
        seconds = int(args.minutes * 60)
        ramp = int(args.users / args.spawn_rate) + 5  # logging in: not counted (--reset-stats)
        subprocess.run(
            [
                args.locust,
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{seconds + ramp}s",
                "--reset-stats",
                "--host",
                base,
                "--csv",
                str(out / "stats"),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--stop-timeout",
                "10",
            ],
            env={**os.environ, "LOAD_PASSWORD": PASSWORD},
            check=False,
            timeout=seconds + ramp + 120,
        )
        rows, total = [], None
        with open(out / "stats_stats.csv", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["Name"] == "Aggregated":
                    total = row
                    continue
                name = f"{row['Type']} {row['Name']}"
                rows.append((name, row["Request Count"], row["Failure Count"], row["50%"], row["95%"], row["99%"]))
        figures = race(base, args.race_clients)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
    rows.append(("all", total["Request Count"], total["Failure Count"], total["50%"], total["95%"], total["99%"]))
    print_table(rows, ("request", "count", "failures", "p50 ms", "p95 ms", "p99 ms"))
    print(
        f"race: {figures['race_clients']} clients, {figures['race_won']} won, {figures['race_409']} got 409, "
        f"other {figures['race_other']}, {figures['race_events']} event(s), consistent {figures['race_consistent']}"
    )
    print_json(
        {
            "users": args.users,
            "seconds": seconds,
            "requests": int(total["Request Count"]),
            "requests_per_s": round(float(total["Requests/s"]), 1),
            "failures": int(total["Failure Count"]),
            "p50_ms": float(total["50%"]),
            "p95_ms": float(total["95%"]),
            "p99_ms": float(total["99%"]),
            **{k: v for k, v in figures.items() if k != "race_other"},
        }
    )


if __name__ == "__main__":
    main()
