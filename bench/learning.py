"""The learning loop simulated on PolNeAR: how much the pre-pass gains from reviewed articles, and from one outlet's.

No database: PolNeAR train articles play the desk's reviewed articles (their gold is what an editor would have
kept), and every run goes through the product's own training function (``prepass.learn.train_from_reviews``:
the held-out slice, the epochs, the scoring). One publisher is set apart in advance (``--publisher``, default
breitbart; never picked by its scores): its 120 train articles come last in the order below.

1. **Learning curve.** The first N articles of PolNeAR train in a seeded order (the other publishers' articles
   shuffled, then the set-apart publisher's: nested, 100 ⊂ 200 ⊂ 400 ⊂ 840, and only 840 holds the publisher's)
   are "reviewed"; a tagger is trained on them alone from random weights (10 epochs like the shipped model; a
   tenth of the N held out picks the epoch, as the product does) and the whole pre-pass is scored on PolNeAR
   dev (84 articles of all seven publishers): F1 at 30% overlap per role.
2. **Outlet adaptation** (a desk whose model never saw the outlet). "Before": the curve's 400-article model
   (the other publishers only). "After": the product's default run (``train_prepass --from-reviews``) on it:
   warm start from "before", the publisher's 120 train articles as the reviewed ones (x2, a tenth held out),
   its base corpus (the same 400 articles) kept in the mix, 4 epochs, learning rate 0.0002. Both are scored on
   the publisher's 12 dev articles (whole-attribution F1 at 30% in the JSON, per role in the table) and, to
   see that nothing else got worse, on the other 72 dev articles. The full run adds two controls: the same
   run with 120 articles of the *other* publishers (not among the 400) as the reviewed ones (what more data
   gives, outlet or not), and the run the shipped model would get (warm start from it, all of PolNeAR train
   in the mix, the publisher's articles reviewed: articles the shipped model has already learnt from).
3. **Time.** Seconds per annotated article, per training update and per scored article are measured here;
   ``train_minutes_per_1000`` is the wall clock of a product run on 1,000 reviewed articles from those rates
   (their annotation and PolNeAR train's, 4 epochs over PolNeAR train + 900 reviewed x2, old and new scored on
   PolNeAR dev, MCAE dev and the 100 held out) plus the fixed cost (loading, saving) measured in the run of 2.

    .venv/bin/python bench/learning.py            # 100, 200, 400, 840; both controls; writes docs/learning-curve.svg
    .venv/bin/python bench/learning.py --quick    # 100 and 400, no controls: under 15 minutes here

Prints a table, then one JSON line:
``{"curve": [{"articles": 100, "source": f, "cue": f, "content": f, "attribution": f}, …],
"outlet": {"publisher": "…", "before": f, "after": f, …}, "train_minutes_per_1000": m}``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotations import prepass  # noqa: E402
from annotations.prepass import learn  # noqa: E402
from annotations.prepass.brat import PUBLISHERS, read_brat  # noqa: E402

ROLES = ("source", "cue", "content", "attribution")


def score(model: str, docs) -> dict:
    return learn.score_docs(model, docs, outlets=PUBLISHERS.values())


def svg_curve(curve: list[dict], shipped: dict, path: Path) -> None:
    """A standalone SVG of F1 against reviewed articles, one line per role (markers differ, not only colours)."""
    width, height, left, right, top, bottom = 640, 360, 56, 130, 40, 48
    xs = [row["articles"] for row in curve]
    x_max = max(xs) * 1.05
    y_min, y_max = 0.3, 0.9

    def x(v: float) -> float:
        return left + (width - left - right) * v / x_max

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - y_min) / (y_max - y_min))

    colours = {"source": "#1f5fbf", "cue": "#b5471b", "content": "#2e7d32", "attribution": "#6a1b9a"}
    dashes = {"source": "", "cue": "6 3", "content": "2 3", "attribution": "8 3 2 3"}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="t d" font-family="sans-serif" font-size="12">',
        '<title id="t">Pre-pass F1 on PolNeAR dev against reviewed articles trained on</title>',
        '<desc id="d">'
        + escape(
            "; ".join(f"{row['articles']} articles: " + ", ".join(f"{r} {row[r]:.3f}" for r in ROLES) for row in curve)
        )
        + "</desc>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{left}" y="22" font-size="14" font-weight="bold">'
        "F1 at 30% overlap, PolNeAR dev (84 articles)</text>",
    ]
    for tick in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.1f}</text>')
    for v in xs:
        out.append(f'<text x="{x(v):.1f}" y="{height - bottom + 18}" text-anchor="middle">{v}</text>')
    out.append(
        f'<text x="{(left + width - right) / 2:.0f}" y="{height - 10}" text-anchor="middle">'
        "reviewed articles trained on (a tenth held out)</text>"
    )
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}" stroke="#333"/>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{height - bottom}" y2="{height - bottom}" stroke="#333"/>')
    # the end labels, moved apart where their lines end close together (at least 14 px between them)
    label_y = {}
    for role in sorted(ROLES, key=lambda r: y(curve[-1][r])):
        want = y(curve[-1][role]) + 4
        label_y[role] = max([want, *(v + 14 for v in label_y.values())])
    for role in ROLES:
        pts = " ".join(f"{x(row['articles']):.1f},{y(row[role]):.1f}" for row in curve)
        dash = f' stroke-dasharray="{dashes[role]}"' if dashes[role] else ""
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colours[role]}" stroke-width="2"{dash}/>')
        for row in curve:
            out.append(
                f'<circle cx="{x(row["articles"]):.1f}" cy="{y(row[role]):.1f}" r="3.5" fill="{colours[role]}"/>'
            )
        last = curve[-1]
        out.append(
            f'<text x="{x(last["articles"]) + 8:.1f}" y="{label_y[role]:.1f}" fill="{colours[role]}">'
            f"{role} {last[role]:.3f}</text>"
        )
        if role in shipped and x_max >= 840:  # the shipped model (840 articles, ten epochs) as a reference mark
            out.append(
                f'<line x1="{x(840) - 6:.1f}" x2="{x(840) + 6:.1f}" y1="{y(shipped[role]):.1f}" '
                f'y2="{y(shipped[role]):.1f}" stroke="{colours[role]}" stroke-width="3"/>'
            )
    out.append(
        f'<text x="{left + 8}" y="{height - bottom - 8}" fill="#555">short bars at 840: the shipped model</text>'
    )
    out.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes 100 and 400, no controls")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "polnear" / "data"))
    parser.add_argument("--sizes", default=None, help="comma-separated (default 100,200,400,840; quick 100,400)")
    parser.add_argument("--before-size", type=int, default=400, help="the curve model that is 'before'")
    parser.add_argument("--publisher", default="breitbart", choices=sorted(PUBLISHERS))
    parser.add_argument("--curve-epochs", type=int, default=10)
    parser.add_argument("--controls", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "learning"))
    parser.add_argument("--svg", default=None, help="default docs/learning-curve.svg (full run only)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = [int(s) for s in (args.sizes or ("100,400" if args.quick else "100,200,400,840")).split(",")]
    controls = args.controls if args.controls is not None else not args.quick
    out = Path(args.out)
    t_start = time.time()

    train_dir, dev_dir = Path(args.data) / "train", Path(args.data) / "dev"
    train_docs = [learn.reviewed_from_brat(d) for d in read_brat(train_dir)]
    dev_docs = [learn.reviewed_from_brat(d) for d in read_brat(dev_dir)]
    prefix = args.publisher + "_"
    mine = [d for d in train_docs if d.name.startswith(prefix)]
    others = [d for d in train_docs if not d.name.startswith(prefix)]
    rng = random.Random(args.seed)
    rng.shuffle(others)
    ordered = others + mine  # the set-apart publisher's articles last
    sizes = sorted({min(s, len(ordered)) for s in sizes} | {args.before_size})
    if args.before_size > len(others):
        parser.error(f"--before-size {args.before_size}: only {len(others)} articles of the other publishers")
    cache: dict = {}

    # annotate every article the runs need once, and time it
    from annotations.prepass import train as trainmod

    needed = {d.cache_key: d for d in [*ordered[: max(sizes)], *mine, *(train_docs if controls else [])]}
    t0 = time.time()
    annotator = trainmod.load_annotator(prepass.DEFAULT_SPACY_MODEL)
    trainmod.examples_of(annotator, list(needed.values()), cache=cache)
    annotate_rate = (time.time() - t0) / len(needed)
    print(f"annotated {len(needed)} PolNeAR train articles in {time.time() - t0:.0f} s", flush=True)

    shipped_model = str(prepass.DEFAULT_MODEL_DIR)
    t0 = time.time()
    shipped = score(shipped_model, dev_docs)
    eval_rate = (time.time() - t0) / len(dev_docs)
    print("shipped model on PolNeAR dev: " + ", ".join(f"{r} {shipped[r]:.3f}" for r in ROLES), flush=True)

    # 1. the learning curve
    curve = []
    for n in sizes:
        t0 = time.time()
        options = learn.RunOptions(epochs=args.curve_epochs, reviewed_weight=1, seed=args.seed, max_minutes=60)
        run = learn.train_from_reviews(
            ordered[:n], out / f"curve-{n}" / "model", options, report=lambda _m: None, cache=cache
        )
        figures = score(str(out / f"curve-{n}" / "model"), dev_docs)
        row = {"articles": n, **{r: figures[r] for r in ROLES}}
        row["best_epoch"] = run["result"]["best_epoch"]
        row["minutes"] = round((time.time() - t0) / 60, 1)
        curve.append(row)
        print(f"curve {n}: " + ", ".join(f"{r} {row[r]:.3f}" for r in ROLES) + f" ({row['minutes']} min)", flush=True)

    # 2. adaptation to the set-apart outlet: the product's default run with its articles as the reviewed ones
    mine_dev = [d for d in dev_docs if d.name.startswith(prefix)]
    other_dev = [d for d in dev_docs if not d.name.startswith(prefix)]
    defaults = learn.RunOptions()
    base = ordered[: args.before_size]
    before_model = str(out / f"curve-{args.before_size}" / "model")

    def product_run(reviewed, name, *, init=before_model, base_docs=base):
        options = learn.RunOptions(init_dir=init, seed=args.seed)
        t0 = time.time()
        run = learn.train_from_reviews(
            reviewed, out / name / "model", options, report=lambda _m: None, cache=cache, base_docs=base_docs
        )
        run["seconds"] = time.time() - t0
        model = str(out / name / "model")
        run["mine"], run["other"] = score(model, mine_dev), score(model, other_dev)
        print(f"{name}: {PUBLISHERS[args.publisher]} dev attribution {run['mine']['attribution']:.3f}", flush=True)
        return run

    before = {"mine": score(before_model, mine_dev), "other": score(before_model, other_dev)}
    adapted = product_run(mine, f"outlet-{args.publisher}")
    rows = [(f"before ({args.before_size} others)", before), ("after (+ outlet)", adapted)]
    extra: dict = {}
    if controls:
        spare = others[args.before_size :]
        control = product_run(random.Random(args.seed + 1).sample(spare, len(mine)), "control-other-outlets")
        shipped_split = {"mine": score(shipped_model, mine_dev), "other": score(shipped_model, other_dev)}
        refit = product_run(mine, "shipped-refit", init=shipped_model, base_docs=train_docs)
        rows += [
            ("control (+ others)", control),
            ("shipped", shipped_split),
            ("shipped + outlet again", refit),
        ]
        extra = {
            "control": control["mine"]["attribution"],
            "shipped_before": shipped_split["mine"]["attribution"],
            "shipped_after": refit["mine"]["attribution"],
        }

    # 3. time of a product run for 1,000 reviewed articles, from the rates measured here
    timing = adapted["timing"]
    train_rate = timing["train_seconds"] / max(1, timing["doc_updates"])
    # loading the pipelines, checking the examples, saving: what is left of the outlet run's wall clock
    fixed = adapted["seconds"] - timing["annotate_seconds"] - timing["train_seconds"] - timing["evaluate_seconds"]
    reviewed_n, base_n, dev_n = 1000, len(train_docs), 100  # a real run: all of PolNeAR train
    per_1000 = (
        annotate_rate * (reviewed_n + base_n)
        + train_rate * defaults.epochs * (base_n + (reviewed_n - dev_n) * defaults.reviewed_weight)
        + eval_rate * 2 * (len(dev_docs) + 22 + dev_n)  # old and new: PolNeAR dev, MCAE dev, the held-out slice
        + max(0.0, fixed)
    ) / 60

    print()
    print(f"{'reviewed articles':<22}" + "".join(f"{r:>13}" for r in ROLES) + f"{'best epoch':>12}{'minutes':>9}")
    for row in curve:
        print(
            f"{row['articles']:<22}"
            + "".join(f"{row[r]:>13.3f}" for r in ROLES)
            + f"{row['best_epoch']:>12}{row['minutes']:>9}"
        )
    print(f"{'shipped (840, 10 ep.)':<22}" + "".join(f"{shipped[r]:>13.3f}" for r in ROLES))
    print()
    name = PUBLISHERS[args.publisher]
    print(f"outlet adaptation: {name}, {len(mine)} train articles reviewed, {len(mine_dev)} dev articles")
    print(f"{'model':<26}{'dev':<14}" + "".join(f"{r:>13}" for r in ROLES))
    for label, run in rows:
        for part, title in (("mine", args.publisher), ("other", "others")):
            print(f"{label:<26}{title:<14}" + "".join(f"{run[part][r]:>13.3f}" for r in ROLES))
    print()
    print(
        f"rates: annotate {annotate_rate:.3f} s/article, train {train_rate * 1000:.1f} ms/update, "
        f"score {eval_rate:.3f} s/article/model; outlet run {adapted['seconds'] / 60:.1f} min; "
        f"estimated product run for 1,000 reviewed articles: {per_1000:.1f} min; "
        f"bench wall {(time.time() - t_start) / 60:.1f} min"
    )
    svg = Path(args.svg) if args.svg else (None if args.quick else ROOT / "docs" / "learning-curve.svg")
    if svg is not None:
        svg_curve(curve, shipped, svg)
        print(f"wrote {svg}")
    result = {
        "curve": [{"articles": row["articles"], **{r: row[r] for r in ROLES}} for row in curve],
        "outlet": {
            "publisher": name,
            "before": before["mine"]["attribution"],
            "after": adapted["mine"]["attribution"],
            "dev_articles": len(mine_dev),
            "other_before": before["other"]["attribution"],
            "other_after": adapted["other"]["attribution"],
            **extra,
        },
        "shipped": {r: shipped[r] for r in ROLES},
        "train_minutes_per_1000": round(per_1000, 1),
        "wall_minutes": round((time.time() - t_start) / 60, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
