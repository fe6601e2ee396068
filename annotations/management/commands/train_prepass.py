"""Train the SOURCE/CUE/CONTENT tagger of the pre-pass (see annotations/prepass/train.py and models/README.md).

Never touches the database.

    manage.py train_prepass --train ../shared/data/polnear/data/train --dev ../shared/data/polnear/data/dev
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Train attr_ner (SOURCE/CUE/CONTENT) on a PolNeAR-format folder; writes PREPASS_MODEL_DIR."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("--train", default=str(settings.BASE_DIR.parent / "shared/data/polnear/data/train"))
        parser.add_argument("--dev", default=str(settings.BASE_DIR.parent / "shared/data/polnear/data/dev"))
        parser.add_argument("--out", default=str(settings.PREPASS_MODEL_DIR))
        parser.add_argument("--base-model", default=settings.SPACY_MODEL)
        parser.add_argument("--epochs", type=int, default=10)
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

    def handle(self, *args, **opts):
        from annotations.prepass.train import train

        result = train(
            opts["train"],
            opts["dev"],
            opts["out"],
            base_model=opts["base_model"],
            epochs=opts["epochs"],
            max_minutes=opts["max_minutes"],
            seed=opts["seed"],
            limit=opts["limit"],
            arch=opts["arch"],
            all_annotators=opts["all_annotators"],
            report=lambda msg: self.stdout.write(msg),
        )
        self.stdout.write(json.dumps(result, default=float, indent=2))
