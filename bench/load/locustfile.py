"""Locust scenario: editors reviewing. Each simulated editor logs in, takes the next article ("Next
article" leases it to them), reads its review page, confirms or rejects proposals and labels sentences
as htmx sends them, and now and then opens the articles list, the home page or the scorecard.

Run by ``bench/load/run.py`` (which seeds the database and starts gunicorn); by hand:

    locust -f bench/load/locustfile.py --headless -u 50 -r 10 -t 2m --host http://127.0.0.1:8123

Users are ``load01`` … ``load50`` with the password in ``LOAD_PASSWORD``.
"""

from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "load-test-pass")
_numbers = itertools.count(1)
ACTION = re.compile(r'action="(/attributions/(\d+)/(confirm|reject)/)"[^>]*>.*?name="version" value="(\d+)"', re.S)
LABEL = re.compile(r'action="(/sentences/(\d+)/label/)"[^>]*>.*?name="version" value="(\d+)"', re.S)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Editor(HttpUser):
    wait_time = between(2.0, 6.0)  # an editor reads the sentence before deciding

    def on_start(self) -> None:
        self.username = f"load{next(_numbers):02d}"
        page = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(page.text).group(1)
        self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/"},
            name="login",
        )
        self.review_url = None
        self.take_next()

    def headers(self, htmx: bool = True) -> dict:
        h = {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}
        if htmx:
            h["HX-Request"] = "true"
        return h

    def take_next(self) -> None:
        headers = self.headers(htmx=False)
        with self.client.post("/next/", headers=headers, name="next article", catch_response=True) as r:
            self.review_url = r.url if "/review/" in r.url else None
            r.success()

    @task(6)
    def review(self) -> None:
        if self.review_url is None:
            self.take_next()
            if self.review_url is None:
                return
        page = self.client.get(self.review_url, name="review page")
        actions = ACTION.findall(page.text)
        labels = LABEL.findall(page.text)
        if not actions and not labels:
            self.take_next()
            return
        if actions and (not labels or random.random() < 0.7):
            url, _, kind, version = random.choice(actions)
            name = f"{kind} attribution"
            data = {"version": version}
        else:
            url, _, version = random.choice(labels)
            name = "label sentence"
            data = {"version": version, "label": random.choice(["sourced", "unsourced_claim", "no_claim"])}
        with self.client.post(url, data, headers=self.headers(), name=name, catch_response=True) as r:
            if r.status_code == 409:
                r.success()  # another tab of the same editor raced it: the desk answers a stale version so
            elif r.status_code != 200:
                r.failure(f"{r.status_code}")

    @task(1)
    def lists(self) -> None:
        self.client.get(random.choice(["/", "/articles/", "/articles/?state=prepassed"]), name="list page")

    @task(1)
    def scorecard(self) -> None:
        self.client.get("/scorecard/", name="scorecard")
