"""Train the SOURCE/CUE/CONTENT tagger of the pre-pass (see annotations/prepass/train.py and models/README.md).

Without ``--from-reviews`` it never touches the database: it trains on a PolNeAR-format folder and writes
``--out`` (the shipped model's recipe).

    manage.py train_prepass --train ../shared/data/polnear/data/train --dev ../shared/data/polnear/data/dev

With ``--from-reviews`` it trains a new *model version* from the desk's reviewed articles (plus PolNeAR train
unless ``--no-base-corpus``), in this process, and records it in the database beside the model in use, with
its figures (``services.model_versions``; the standards editors' "Train a new version" button queues the same
run for a worker). ``--promote`` makes it the active version when it is done.

    manage.py train_prepass --from-reviews [--user NAME] [--epochs 4] [--no-base-corpus] [--promote]
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Train attr_ner (SOURCE/CUE/CONTENT) on a PolNeAR-format folder; writes PREPASS_MODEL_DIR."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("--train", default=str(settings.BASE_DIR.parent / "shared/data/polnear/data/train"))
        parser.add_argument("--dev", default=str(settings.BASE_DIR.parent / "shared/data/polnear/data/dev"))
        parser.add_argument("--out", default=str(settings.PREPASS_MODEL_DIR))
        parser.add_argument("--base-model", default=settings.SPACY_MODEL)
        parser.add_argument("--epochs", type=int, default=None, help="default 10; 4 with --from-reviews")
        parser.add_argument("--max-minutes", type=float, default=40.0)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--limit", type=int, default=None, help="only N training articles (smoke test)")
        parser.add_argument(
            "--arch",
            choices=["listener", "own"],
            default="listener",
            help="listener: reuse the base pipeline's tok2vec (default, faster); own: a CNN of its own",
        )
        parser.add_argument(
            "--all-annotators",
            action="store_true",
            help="train on every annotator's file of an article, not only the first (no gain measured on dev)",
        )
        reviews = parser.add_argument_group("a model version from the desk's reviewed articles")
        reviews.add_argument(
            "--from-reviews", action="store_true", help="train a model version on the reviewed articles"
        )
        reviews.add_argument("--user", help="who trains it (a standards editor's username)")
        reviews.add_argument("--no-base-corpus", action="store_true", help="leave PolNeAR train out of the mix")
        reviews.add_argument("--no-warm-start", action="store_true", help="random weights, not the active model's")
        reviews.add_argument("--reviewed-weight", type=int, default=None, help="repeat each reviewed article N times")
        reviews.add_argument("--dev-share", type=float, default=None, help="share of reviewed articles held out")
        reviews.add_argument("--base-limit", type=int, default=None, help="only N PolNeAR train articles (smoke test)")
        reviews.add_argument("--promote", action="store_true", help="make it the active version when done")
        reviews.add_argument(
            "--rerun", action="store_true", help="with --promote: re-run the pre-pass over unreviewed articles"
        )

    def handle(self, *args, **opts):
        if opts["from_reviews"]:
            return self.from_reviews(opts)
        from annotations.prepass.train import train

        result = train(
            opts["train"],
            opts["dev"],
            opts["out"],
            base_model=opts["base_model"],
            epochs=opts["epochs"] or 10,
            max_minutes=opts["max_minutes"],
            seed=opts["seed"],
            limit=opts["limit"],
            arch=opts["arch"],
            all_annotators=opts["all_annotators"],
            report=lambda msg: self.stdout.write(msg),
        )
        self.stdout.write(json.dumps(result, default=float, indent=2))

    def from_reviews(self, opts) -> None:
        from django.contrib.auth import get_user_model

        from annotations.roles import is_standards
        from annotations.services import model_versions
        from annotations.services.common import ConflictError

        user = None
        if opts["user"]:
            user = get_user_model().objects.filter(username=opts["user"]).first()
            if user is None or not is_standards(user):
                raise CommandError(f"--user {opts['user']}: no such standards editor")
        defaults = model_versions.TrainOptions()
        options = model_versions.TrainOptions(
            base_corpus=not opts["no_base_corpus"],
            epochs=opts["epochs"] or defaults.epochs,
            warm_start=not opts["no_warm_start"],
            dev_share=opts["dev_share"] if opts["dev_share"] is not None else defaults.dev_share,
            reviewed_weight=opts["reviewed_weight"] or defaults.reviewed_weight,
            seed=opts["seed"],
            limit=opts["limit"],
            extra={"base_limit": opts["base_limit"]} if opts["base_limit"] else {},
        )
        try:
            version = model_versions.model_version_start(user=user, options=options)
        except ConflictError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"training {version.version} (in use now: {version.based_on}) ...")
        try:
            version = model_versions.model_version_train(
                version_id=version.pk, report=lambda msg: self.stdout.write(msg)
            )
        except Exception as exc:
            raise CommandError(f"{version.version} failed: {type(exc).__name__}: {exc}") from exc
        self.stdout.write(json.dumps({"version": version.version, "figures": version.figures}, indent=2))
        if opts["promote"]:
            promotion = model_versions.model_version_promote(version_id=version.pk, user=user, rerun=opts["rerun"])
            self.stdout.write(f"{version.version} is now active; re-run queued for {len(promotion.rerun)} articles")
