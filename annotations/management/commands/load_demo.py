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
    help = "Load the demo articles (fictional outlets) and demo accounts, and run the pre-pass over them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-users", action="store_true", help="articles only")
        parser.add_argument("--no-process", action="store_true", help="do not run the pre-pass now")

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
        if summary.imported and not no_process:
            result = services.articles_process(article_ids=summary.imported)
            for line in result.lines():
                self.stdout.write(line)
        if not no_users:
            self.stdout.write("demo logins: " + ", ".join(f"{u} / {p}" for u, p, _, _ in DEMO_USERS))
