"""Train the pre-pass's tagger on the frozen encoder's vectors (issue 16; ``annotations/prepass/encoder_train.py``).

Never touches the database. Builds the encoder's ONNX graph into ENCODER_DIR first if it is missing, caches the
encoder's vectors of --train and --dev under ENCODER_DIR/features, and writes a pipeline to --out (default
models/prepass-ner-encoder, git-ignored: it is selected with PREPASS_MODEL_DIR, see models/README.md).

    manage.py train_prepass_encoder --variant mix --shape --epochs 10
    manage.py train_prepass_encoder --build-only      # only build ENCODER_DIR (model.onnx, tokenizer.json)
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Train attr_ner on the frozen all-MiniLM-L6-v2 encoder's vectors (ONNX Runtime) beside the shared tok2vec."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        from annotations.prepass.encoder_train import VARIANTS

        parser.add_argument("--train", default=str(settings.BASE_DIR.parent / "shared/data/polnear/data/train"))
        parser.add_argument("--dev", default=str(settings.BASE_DIR.parent / "shared/data/polnear/data/dev"))
        parser.add_argument("--out", default=str(settings.BASE_DIR / "models" / "prepass-ner-encoder"))
        parser.add_argument("--base-model", default=settings.SPACY_MODEL)
        parser.add_argument("--variant", choices=sorted(VARIANTS), default="mix", help="last layer, or mean of 3-6")
        parser.add_argument("--shape", action="store_true", help="add word shape to the tagger's own embedding")
        parser.add_argument("--epochs", type=int, default=10)
        parser.add_argument("--max-minutes", type=float, default=60.0)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--limit", type=int, default=None, help="only N training articles (smoke test)")
        parser.add_argument("--project", type=int, default=0, help="project the encoder's vectors to this width")
        parser.add_argument("--quantized", action="store_true", help="the saved pipeline runs the int8 graph")
        parser.add_argument("--build-only", action="store_true", help="only build the encoder into ENCODER_DIR")

    def handle(self, *args, **opts):
        from annotations.prepass import encoder, encoder_train

        folder = encoder.ensure_encoder(quantized=opts["quantized"])
        self.stdout.write(f"encoder ready in {folder}")
        if opts["build_only"]:
            return
        result = encoder_train.fit(
            opts["train"],
            opts["dev"],
            opts["out"],
            variant=opts["variant"],
            shape=opts["shape"],
            epochs=opts["epochs"],
            max_minutes=opts["max_minutes"],
            seed=opts["seed"],
            limit=opts["limit"],
            base_model=opts["base_model"],
            quantized=opts["quantized"],
            project=opts["project"],
            report=lambda msg: self.stdout.write(msg),
        )
        self.stdout.write(json.dumps(result, indent=2))
