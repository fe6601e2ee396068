"""Backup and restore: the scorecard after a restore into an empty database is the scorecard before.

    .venv/bin/python bench/backup.py

1. database A (fresh): migrated, the demo loaded (``load_demo``: pre-pass, and the demo editor's reviews);
   its scorecard figures (every outlet, reviewed articles only, with the anonymous descriptors) read.
2. **pg_dump**: ``pg_dump -Fc`` of A, ``pg_restore`` into an empty database B; B's figures read.
3. **JSONL**: ``manage.py export --format jsonl`` of A, ``manage.py import_articles --user restorer`` of that
   file into database C (fresh, migrated, no demo; ``restorer`` a standards editor, who the restored decisions
   are recorded as made by); C's figures read.

Prints each copy's figures against A's, then one JSON line:
{"outlets", "reviewed_articles", "pg_dump_identical", "jsonl_identical", "pg_dump_seconds", "jsonl_seconds"}.
``docs/reliability.md`` says how to back up and restore a real desk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import print_json, print_table  # noqa: E402

BASE = "postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_backup"
# restored decisions are recorded as made by the standards editor who imports the file (docs/exports.md)
RESTORER = (
    "from django.contrib.auth.models import Group, User; "
    "User.objects.create_user('restorer').groups.add(Group.objects.get(name='standards'))"
)
FIGURES = (
    "import json; from annotations import stats; s = stats.Scope(); "
    "print(json.dumps([f.as_dict() for f in stats.with_descriptors(s, stats.outlet_figures(s))], sort_keys=True))"
)


def manage(url: str, *args: str, capture: bool = False) -> str:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "TASKS_BACKEND": "immediate"}
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout if capture else ""


def fresh(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def figures(url: str) -> list[dict]:
    return json.loads(manage(url, "shell", "-c", FIGURES, capture=True).strip().splitlines()[-1])


def main() -> None:
    a, b, c = (f"{BASE}_{x}" for x in "abc")
    for url in (a, b, c):
        fresh(url)
    manage(a, "migrate", "--noinput")
    manage(a, "load_demo", "--no-users")
    before = figures(a)
    work = Path(tempfile.mkdtemp(prefix="backup-"))

    started = time.perf_counter()
    dump = work / "desk.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), a], check=True)
    subprocess.run(["pg_restore", "--no-owner", "-d", b, str(dump)], check=True)
    pg_seconds = time.perf_counter() - started
    after_pg = figures(b)

    started = time.perf_counter()
    export = work / "desk.jsonl"
    manage(a, "export", "--format", "jsonl", "--out", str(export))
    manage(c, "migrate", "--noinput")
    manage(c, "shell", "-c", RESTORER)
    manage(c, "import_articles", str(export), "--user", "restorer", "--no-process")
    jsonl_seconds = time.perf_counter() - started
    after_jsonl = figures(c)

    rows = []
    for copy, got in (("pg_dump", after_pg), ("jsonl", after_jsonl)):
        for mine, theirs in zip(before, got, strict=False):
            for key in ("articles", "attributions", "anonymous", "justified", "bare", "via", "unsourced"):
                rows.append((copy, mine["outlet"], key, json.dumps(mine.get(key)), json.dumps(theirs.get(key))))
    print_table(rows, ("copy", "outlet", "figure", "before", "after restore"))
    print_json(
        {
            "outlets": len(before),
            "reviewed_articles": sum(f["articles"] for f in before),
            "pg_dump_identical": after_pg == before,
            "jsonl_identical": after_jsonl == before,
            "pg_dump_seconds": round(pg_seconds, 1),
            "jsonl_seconds": round(jsonl_seconds, 1),
        }
    )


if __name__ == "__main__":
    main()
