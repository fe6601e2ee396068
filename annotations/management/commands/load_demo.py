from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandParser

from annotations import services

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_USERS = (
    # username, password, group, staff
    ("editor", "editor-demo-pass", "editor", False),
    ("standards", "standards-demo-pass", "standards", False),
    ("admin", "admin-demo-pass", None, True),
)


class Command(BaseCommand):
    help = (
        "Load the demo articles (fictional outlets) and demo accounts, run the pre-pass over them, and review"
        " the ones with gold (annotations/demo/gold/) as the demo editor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-users", action="store_true", help="articles only")
        parser.add_argument(
            "--no-process", action="store_true", help="do not run the pre-pass now (nor the demo review)"
        )

    def handle(self, *args, no_users: bool, no_process: bool, **options) -> None:
        if not no_users:
            for username, password, group, staff in DEMO_USERS:
                user, created = User.objects.get_or_create(
                    username=username, defaults={"is_staff": staff, "is_superuser": staff}
                )
                if created:
                    user.set_password(password)
                    user.save()
                if group:
                    user.groups.add(Group.objects.get(name=group))
        files = sorted(p for p in DEMO_DIR.rglob("*") if p.suffix in {".txt", ".html", ".jsonl", ".csv"})
        summary = services.articles_import(
            files=((str(p.relative_to(DEMO_DIR)), p.read_bytes()) for p in files), enqueue=False
        )
        for line in summary.lines():
            self.stdout.write(line)
        if no_process:
            self.stdout.write("pre-pass and demo review skipped (--no-process)")
        elif not summary.imported:
            self.stdout.write("nothing new to pre-pass or review")
        else:
            result = services.articles_process(article_ids=summary.imported)
            for line in result.lines():
                self.stdout.write(line)
            # The demo editor reviews the new articles that have gold (annotations/demo/gold/), so that the
            # scorecard, the exports and the History have reviewed data from the first run.
            reviews = services.articles_apply_demo_gold(article_ids=summary.imported)
            self.stdout.write(
                f"reviewed by the demo editor ({services.DEMO_EDITOR}): {len(reviews)} of {len(summary.imported)}"
                f" articles, {sum(r.decisions for r in reviews)} decisions"
                f" ({sum(r.confirmed for r in reviews)} confirmed, {sum(r.corrected for r in reviews)} corrected,"
                f" {sum(r.rejected for r in reviews)} rejected, {sum(r.added for r in reviews)} added,"
                f" {sum(r.labels for r in reviews)} sentence labels changed)"
            )
        if not no_users:
            self.stdout.write("demo logins: " + ", ".join(f"{u} / {p}" for u, p, _, _ in DEMO_USERS))
