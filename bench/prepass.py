"""Pre-pass throughput against bare spaCy, in one process, on the same generated corpus.

    python bench/prepass.py [--articles 400] [--database-url postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_prepass]

1. bare: ``nlp.pipe`` of the configured trained pipeline (SPACY_MODEL, all its components), nothing stored;
2. pre-pass: ``services.articles_process`` (what the import task runs): claim, our pipeline, the rules,
   and every database write (sentences, attribution proposals, events).
Words are whitespace-separated tokens of the bodies. Both pipelines are loaded before timing; the bare run
is timed before and after the pre-pass and the faster of the two is used, so load from other processes on
the machine does not flatter the ratio.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import article_text, print_json, print_table, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_prepass")
    args = parser.parse_args()
    setup_django(args.database_url, fresh=True)

    import spacy
    from django.conf import settings

    from annotations import prepass, services
    from annotations.models import Article

    rng = random.Random(11)
    files = [(f"a{i}.txt", article_text(rng, i).encode()) for i in range(args.articles)]
    summary = services.articles_import(files=files, enqueue=False)
    articles = list(Article.objects.filter(pk__in=summary.imported).order_by("pk").values_list("pk", "body"))
    ids = [pk for pk, _ in articles]
    texts = [body for _, body in articles]
    words = sum(len(t.split()) for t in texts)

    bare = spacy.load(settings.SPACY_MODEL)
    ours = prepass.get_nlp()
    for _doc in bare.pipe(texts[:8]):  # warm both
        pass
    list(prepass.propose_many(texts[:8]))

    def time_bare() -> float:
        started = time.perf_counter()
        for _doc in bare.pipe(texts, batch_size=args.batch_size):
            pass
        return time.perf_counter() - started

    bare_first = time_bare()
    started = time.perf_counter()
    result = services.articles_process(article_ids=ids, batch_size=args.batch_size)
    prepass_s = time.perf_counter() - started
    bare_second = time_bare()
    assert result.processed == len(ids), result.lines()
    bare_s = min(bare_first, bare_second)

    spacy_wps = words / bare_s
    prepass_wps = words / prepass_s
    ratio = prepass_wps / spacy_wps
    print(f"pipeline: {settings.SPACY_MODEL} bare {bare.pipe_names}; ours {ours.pipe_names}")
    print_table(
        [
            ("bare nlp.pipe", words, f"{bare_first:.1f} / {bare_second:.1f}", f"{spacy_wps:,.0f}"),
            ("pre-pass + DB writes", words, f"{prepass_s:.1f}", f"{prepass_wps:,.0f}"),
        ],
        ("run", "words", "seconds", "words/s"),
    )
    print(f"ratio {ratio:.2f}; {result.sentences} sentences, {result.attributions_created} proposals stored")
    print_json(
        {
            "words": words,
            "spacy_words_per_s": round(spacy_wps),
            "prepass_words_per_s": round(prepass_wps),
            "ratio": round(ratio, 3),
        }
    )


if __name__ == "__main__":
    main()
