"""Score the pre-pass on a PolNeAR-format folder or on the project's reviewed-article JSONL.

Never touches the database: it reads files, runs ``annotations.prepass`` and prints figures.

    manage.py evaluate_prepass --brat ../shared/data/polnear/data/dev
    manage.py evaluate_prepass --brat DIR --predictions-out /tmp/pred.jsonl --json
    manage.py evaluate_prepass --gold reviewed.jsonl
    manage.py evaluate_prepass --mcae ../shared/data/mcae-dev   # found share and source types
    manage.py evaluate_prepass --brat DIR --rules-only       # ignore the trained model
    manage.py evaluate_prepass --brat DIR --speed 300        # words/s vs bare nlp.pipe
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Precision/recall/F1 of the pre-pass (source, cue, content, attribution; exact and 30% overlap)."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--brat", action="append", default=[], help="PolNeAR-format folder with text/ and attributions/"
        )
        parser.add_argument("--gold", help="JSONL of reviewed articles (body + attributions)")
        parser.add_argument("--mcae", help="MCAE-format folder (gold.jsonl of typed sourced statements)")
        parser.add_argument("--predictions-out", help="write one JSON line of predictions per article")
        parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
        parser.add_argument(
            "--model",
            default=None,
            help="spaCy pipeline name or folder (default: the promoted model version, else PREPASS_MODEL_DIR)",
        )
        parser.add_argument("--rules-only", action="store_true", help="use SPACY_MODEL without the trained tagger")
        parser.add_argument("--outlet", action="append", default=[], help="extra outlet name (repeatable)")
        parser.add_argument("--speed", type=int, default=0, help="also measure words/s on N articles")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")
        parser.add_argument(
            "--agreement",
            action="store_true",
            help="score annotator against annotator on the articles of --brat (repeatable) that two labelled",
        )

    def handle(self, *args, **opts):
        from annotations.prepass import evaluate as ev

        if opts["agreement"]:
            if not opts["brat"]:
                raise CommandError("--agreement needs --brat DIR")
            try:
                result = ev.agreement(opts["brat"])
            except FileNotFoundError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(json.dumps(result, indent=2) if opts["json"] else ev.format_table(result))
            return
        if sum(bool(opts[k]) for k in ("brat", "gold", "mcae")) != 1:
            raise CommandError("give one of --brat DIR, --gold FILE.jsonl or --mcae DIR")
        if len(opts["brat"]) > 1:
            raise CommandError("give one --brat DIR (several only with --agreement)")
        model = opts["model"] or (settings.SPACY_MODEL if opts["rules_only"] else None)
        if opts["mcae"]:
            self._mcae(opts, model)
            return
        try:
            if opts["brat"]:
                docs = ev.brat_docs(opts["brat"][0], opts["limit"])
            else:
                docs = ev.read_gold_jsonl(opts["gold"])[: opts["limit"]]
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        result = ev.evaluate(docs, predictions_out=opts["predictions_out"], model_name=model, outlets=opts["outlet"])
        if opts["speed"]:
            result["speed"] = ev.throughput([d[1] for d in docs[: opts["speed"]]], model_name=model)
        if opts["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(ev.format_table(result))
            if "speed" in result:
                self.stdout.write(f"speed: {result['speed']}")

    def _mcae(self, opts, model) -> None:
        from annotations.prepass import mcae

        try:
            docs = mcae.read_mcae(opts["mcae"], opts["limit"])
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        details: list | None = [] if opts["predictions_out"] else None
        result = mcae.evaluate_mcae(docs, model_name=model, outlets=opts["outlet"], details=details)
        if details is not None:
            with open(opts["predictions_out"], "w", encoding="utf-8") as fh:
                for row in details:
                    fh.write(json.dumps(row) + "\n")
        self.stdout.write(json.dumps(result, indent=2) if opts["json"] else mcae.format_report(result))
