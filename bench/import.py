"""Import throughput: articles per second for import alone, and for import plus segmentation (the pre-pass).

    python bench/import.py [--articles 2000] [--database-url postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_import]

Generates pasted-web-page articles (headline, body of ~350 words, web cruft), imports them through the same
service the command and the web upload use (each article in its own transaction), then runs the
processing task's code over them. The database is dropped and created anew for each run.
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
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sourcing_desk_bench_import")
    args = parser.parse_args()
    setup_django(args.database_url, fresh=True)

    from annotations import prepass, services

    rng = random.Random(7)
    files = [(f"a{i}.txt", article_text(rng, i).encode()) for i in range(args.articles)]
    words = sum(len(data.split()) for _, data in files)
    prepass.get_nlp()  # the model load is not part of either figure

    started = time.perf_counter()
    summary = services.articles_import(files=files, enqueue=False)
    import_s = time.perf_counter() - started
    assert len(summary.imported) == args.articles, summary.lines()

    started = time.perf_counter()
    processed = services.articles_process(article_ids=summary.imported)
    process_s = time.perf_counter() - started
    assert processed.processed == args.articles

    import_per_s = args.articles / import_s
    import_segment_per_s = args.articles / (import_s + process_s)
    print_table(
        [
            ("import", args.articles, f"{import_s:.1f}", f"{import_per_s:.0f}"),
            (
                "import + segmentation/pre-pass",
                args.articles,
                f"{import_s + process_s:.1f}",
                f"{import_segment_per_s:.1f}",
            ),
        ],
        ("step", "articles", "seconds", "articles/s"),
    )
    print(
        f"words: {words}; sentences stored: {processed.sentences}; "
        f"attribution proposals: {processed.attributions_created}"
    )
    print_json(
        {
            "articles": args.articles,
            "import_per_s": round(import_per_s, 1),
            "import_segment_per_s": round(import_segment_per_s, 1),
        }
    )


if __name__ == "__main__":
    main()
