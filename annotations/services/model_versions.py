"""Model versions: training the pre-pass from reviewed articles, promoting a version, re-running the pre-pass.

- ``model_version_queue`` (the standards editors' button) and ``model_version_start`` (``manage.py
  train_prepass --from-reviews``) create a version; ``model_version_train`` runs it: the reviewed articles
  are exported as Sourcing Desk JSONL into the version's folder (the same data the exports write), and
  ``prepass.learn.train_from_reviews`` trains and scores it beside the model that is live now, reporting
  its progress on the version's row.
- ``model_version_promote`` makes a ready version the one the pre-pass uses (``model_version_use_shipped``
  goes back to the committed model) and can queue a re-run over the unreviewed articles nobody holds, which
  replaces only proposals nobody has touched (``services.proposals``).
- ``active_model_name`` is the pipeline the pre-pass runs now. The database records the active version; a
  promotion also writes its folder's name into ``MODEL_VERSIONS_DIR/ACTIVE`` so that ``prepass.get_nlp()``
  (which never touches the database) loads it too.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotations import prepass
from annotations.models import Article, ModelVersion, Outlet, TrainingStatus
from annotations.models_learning import RUNNING_STATES
from annotations.prepass import learn

from .common import ConflictError, event_record

logger = logging.getLogger(__name__)

TRAINING_FILE = "reviewed.jsonl"  # the JSONL export the version was trained on
FIGURES_FILE = "run.json"
MODEL_FOLDER = "model"
PROGRESS_EVERY = 1.0  # seconds between two progress writes


# --- which pipeline the pre-pass runs ----------------------------------------------------------------------------


def versions_root() -> Path:
    return Path(settings.MODEL_VERSIONS_DIR)


def active_model_name() -> str:
    """The pipeline the pre-pass runs now: the active version's folder, else the shipped model, else the rules.

    One query. When the active version's folder is missing on this machine (``MODEL_VERSIONS_DIR`` not
    shared with it), the shipped model is used and the proposals say so (their ``model_version``). Keeps
    ``MODEL_VERSIONS_DIR/ACTIVE`` in step with the database.
    """
    folder = ModelVersion.objects.filter(is_active=True).values_list("folder", flat=True).first()
    path = prepass.version_model_dir(folder) if folder else None
    if folder and path is None:
        logger.error("model version folder %s is missing under %s: using the shipped model", folder, versions_root())
    sync_active_pointer(folder if path is not None else None)
    if path is not None:
        return str(path)
    shipped = prepass.model_dir()
    return str(shipped) if shipped is not None else settings.SPACY_MODEL


def active_label() -> str:
    """What proposals made now record as their ``model_version``."""
    version = ModelVersion.objects.filter(is_active=True).values_list("version", flat=True).first()
    if version:
        return version
    return prepass.SHIPPED_VERSION if prepass.model_dir() is not None else prepass.RULES_VERSION


def sync_active_pointer(folder: str | None) -> None:
    """Write (atomically) or remove ``MODEL_VERSIONS_DIR/ACTIVE`` when it does not say ``folder`` already."""
    root = versions_root()
    pointer = root / prepass.ACTIVE_POINTER
    try:
        current = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        current = None
    if (current or None) == folder:
        return
    if folder is None:
        pointer.unlink(missing_ok=True)
        return
    root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".active-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(folder + "\n")
    os.replace(tmp, pointer)


# --- training ------------------------------------------------------------------------------------------------------


@dataclass
class TrainOptions:
    """What a run may choose (the rest is ``prepass.learn.RunOptions``'s defaults)."""

    base_corpus: bool = True  # keep PolNeAR train (the shipped model's corpus) in the mix
    epochs: int = learn.DEFAULT_EPOCHS
    warm_start: bool = True  # start from the active model's tagger
    dev_share: float = learn.DEFAULT_DEV_SHARE
    reviewed_weight: int = learn.DEFAULT_REVIEWED_WEIGHT
    seed: int = 0
    limit: int | None = None  # only the first N reviewed articles (tests, smoke runs)
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "extra"} | self.extra


def _create(*, user, options: TrainOptions, status: str) -> ModelVersion:
    now = timezone.now()
    unfinished = list(ModelVersion.objects.select_for_update().filter(status__in=RUNNING_STATES))
    running = ModelVersion.objects.running(now).first()
    if running is not None:
        raise ConflictError(f"A training run is already {running.get_status_display().lower()}: {running.version}.")
    if unfinished:  # their worker stopped reporting progress long ago: they will not finish
        ModelVersion.objects.filter(pk__in=[v.pk for v in unfinished]).update(
            status=TrainingStatus.FAILED, error="stopped: no progress reported for a long time", finished_at=now
        )
    if not Article.objects.reviewed().exists():
        raise ConflictError("No reviewed articles yet: a model learns from articles editors have marked reviewed.")
    version = ModelVersion.objects.create(
        version=f"pending-{now.timestamp()}",
        status=status,
        options=options.as_dict(),
        based_on=active_label(),
        trained_by=user if getattr(user, "is_authenticated", False) else None,
        started_at=now if status == TrainingStatus.TRAINING else None,
        message="waiting for a worker" if status == TrainingStatus.QUEUED else "starting",
    )
    version.version = version.folder = f"v{version.pk}"
    version.save(update_fields=["version", "folder"])
    event_record(
        actor=user,
        article_id=None,
        object_type="model_version",
        object_id=version.pk,
        action="train_queued" if status == TrainingStatus.QUEUED else "train_started",
        after={"version": version.version, "options": version.options, "based_on": version.based_on},
    )
    return version


@transaction.atomic
def model_version_queue(*, user, options: TrainOptions | None = None) -> ModelVersion:
    """Queue a training run (``tasks.train_model_version``); refused while another run is queued or training."""
    version = _create(user=user, options=options or TrainOptions(), status=TrainingStatus.QUEUED)
    pk = version.pk

    def enqueue() -> None:
        from annotations.tasks import enqueue_training

        enqueue_training(pk)

    transaction.on_commit(enqueue)
    return version


@transaction.atomic
def model_version_start(*, user, options: TrainOptions | None = None) -> ModelVersion:
    """A run the caller trains in its own process (``manage.py train_prepass --from-reviews``)."""
    return _create(user=user, options=options or TrainOptions(), status=TrainingStatus.TRAINING)


class _Progress:
    """Writes a run's progress on its row, at most once a second (and at every change of phase)."""

    def __init__(self, pk: int, report: Callable[[str], None] | None) -> None:
        self.pk = pk
        self.report = report
        self.last = 0.0
        self.phase = ""

    def __call__(self, phase: str, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if phase == self.phase and now - self.last < PROGRESS_EVERY and done < total:
            return
        if phase != self.phase and self.report:
            self.report(f"{phase}: {message}")
        self.phase, self.last = phase, now
        ModelVersion.objects.filter(pk=self.pk).update(
            phase=phase,
            progress_done=min(done, total),
            progress_total=total,
            message=(message or phase)[:500],
            updated_at=timezone.now(),
        )


def _export_reviewed(path: Path, limit: int | None, on_article: Callable[[], None]) -> int:
    """The Sourcing Desk JSONL export of the reviewed articles, written to ``path``: the training data."""
    from annotations.exports import ExportFilters, export_chunks

    n = 0

    def counted() -> None:
        nonlocal n
        n += 1
        on_article()

    with path.open("wb") as fh:
        for chunk in export_chunks("jsonl", ExportFilters(review="reviewed"), on_article=counted):
            fh.write(chunk)
            if limit is not None and n >= limit:
                break
    if limit is not None:  # keep whole lines of the first ``limit`` articles only
        lines = path.read_bytes().splitlines(keepends=True)[:limit]
        path.write_bytes(b"".join(lines))
    return min(n, limit) if limit is not None else n


def _dev_dir(value: str | None) -> str | None:
    return value if value and Path(value).exists() else None


def model_version_train(*, version_id: int, report: Callable[[str], None] | None = None) -> ModelVersion:
    """Run a queued (or started) training run to its end: ready with its figures, or failed with the error."""
    now = timezone.now()
    taken = ModelVersion.objects.filter(pk=version_id, status=TrainingStatus.QUEUED).update(
        status=TrainingStatus.TRAINING, started_at=now, message="starting", updated_at=now
    )
    version = ModelVersion.objects.get(pk=version_id)
    if not taken and version.status != TrainingStatus.TRAINING:
        raise ConflictError(f"{version.version} is {version.get_status_display().lower()}, not waiting to train.")
    progress = _Progress(version.pk, report)
    folder = versions_root() / version.folder
    try:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        opts = version.options
        total = Article.objects.reviewed().count()
        if opts.get("limit"):
            total = min(total, int(opts["limit"]))
        exported = 0

        def on_article() -> None:
            nonlocal exported
            exported += 1
            progress("exporting", exported, total, f"exporting {total} reviewed articles")

        progress("exporting", 0, total, f"exporting {total} reviewed articles")
        _export_reviewed(folder / TRAINING_FILE, opts.get("limit"), on_article)
        read = learn.read_reviewed_jsonl(folder / TRAINING_FILE)
        old_model = active_model_name()
        run_options = learn.RunOptions(
            epochs=int(opts.get("epochs", learn.DEFAULT_EPOCHS)),
            dev_share=float(opts.get("dev_share", learn.DEFAULT_DEV_SHARE)),
            reviewed_weight=int(opts.get("reviewed_weight", learn.DEFAULT_REVIEWED_WEIGHT)),
            base_corpus=_dev_dir(settings.PREPASS_BASE_CORPUS_DIR) if opts.get("base_corpus", True) else None,
            base_limit=opts.get("base_limit"),
            init_dir=old_model if opts.get("warm_start", True) and Path(old_model, "attr_ner").is_dir() else None,
            seed=int(opts.get("seed", 0)),
            base_model=settings.SPACY_MODEL,
        )
        run = learn.train_from_reviews(
            read.docs,
            folder / MODEL_FOLDER,
            run_options,
            old_model=old_model,
            polnear_dev=_dev_dir(settings.PREPASS_POLNEAR_DEV_DIR),
            mcae_dev=_dev_dir(settings.PREPASS_MCAE_DEV_DIR),
            outlets=Outlet.objects.values_list("name", flat=True),
            meta={"model_version": version.version, "based_on": version.based_on},
            report=report or (lambda msg: logger.info("%s: %s", version.version, msg)),
            on_progress=progress,
        )
        run["training_data"]["unreviewed_skipped"] = read.skipped_unreviewed
        run["options"] = run_options.as_dict()
        (folder / FIGURES_FILE).write_text(json.dumps(run, indent=2, default=str), encoding="utf-8")
    except Exception as exc:
        logger.exception("training %s failed", version.version)
        _finish(version, status=TrainingStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    return _finish(version, status=TrainingStatus.READY, run=run)


def _finish(version: ModelVersion, *, status: str, run: dict | None = None, error: str = "") -> ModelVersion:
    now = timezone.now()
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version.pk)
        version.status = status
        version.finished_at = now
        version.error = error
        version.phase = "done" if status == TrainingStatus.READY else "failed"
        version.message = "ready to promote" if status == TrainingStatus.READY else error[:500]
        if run is not None:
            version.training_data = run["training_data"]
            version.figures = run["figures"]
            version.result = {"train": run["result"], "timing": run["timing"], "options": run["options"]}
            version.progress_done = version.progress_total = 1
        version.save()
        event_record(
            actor=version.trained_by,
            article_id=None,
            object_type="model_version",
            object_id=version.pk,
            action="trained" if status == TrainingStatus.READY else "train_failed",
            after={"version": version.version, "status": status, "error": error[:500]},
        )
    return version


# --- promotion and re-runs ----------------------------------------------------------------------------------------


@dataclass
class Promotion:
    version: ModelVersion | None  # None: back to the shipped model
    rerun: list[int] = field(default_factory=list)  # articles queued for the re-run


def rerun_candidates() -> list[int]:
    """Unreviewed articles nobody holds whose proposals another model made than the one active now."""
    return list(
        Article.objects.reviewable()
        .unleased()
        .exclude(model_version=active_label())
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _queue_rerun(ids: list[int]) -> None:
    from annotations.tasks import enqueue_processing

    if ids:
        enqueue_processing(ids, force=True, unreviewed_only=True)


def _promote(*, version: ModelVersion | None, user, rerun: bool) -> Promotion:
    now = timezone.now()
    current = ModelVersion.objects.select_for_update().filter(is_active=True).first()
    before = current.version if current else active_label()
    ModelVersion.objects.filter(is_active=True).update(is_active=False)
    if version is not None:
        version.is_active = True
        version.promoted_at = now
        version.promoted_by = user
        version.save(update_fields=["is_active", "promoted_at", "promoted_by", "updated_at"])
    after = version.version if version else active_label()
    ids = rerun_candidates() if rerun else []
    event_record(
        actor=user,
        article_id=None,
        object_type="model_version",
        object_id=version.pk if version else None,
        action="promote",
        before={"active": before},
        after={"active": after, "rerun": len(ids)},
    )
    folder = version.folder if version else None
    transaction.on_commit(lambda: sync_active_pointer(folder))
    transaction.on_commit(lambda: _queue_rerun(ids))
    return Promotion(version, ids)


@transaction.atomic
def model_version_promote(*, version_id: int, user, rerun: bool = True) -> Promotion:
    """Make a ready version the active one; with ``rerun``, queue the pre-pass again over the unreviewed
    articles nobody holds (editors' decisions are kept: only untouched proposals are replaced)."""
    version = ModelVersion.objects.select_for_update().get(pk=version_id)
    if version.status != TrainingStatus.READY:
        raise ConflictError(f"{version.version} is {version.get_status_display().lower()}: only a ready version.")
    if prepass.version_model_dir(version.folder) is None:
        raise ConflictError(f"{version.version}: its model folder is missing under {versions_root()}.")
    if version.is_active:
        raise ConflictError(f"{version.version} is already the active version.")
    return _promote(version=version, user=user, rerun=rerun)


@transaction.atomic
def model_version_use_shipped(*, user, rerun: bool = True) -> Promotion:
    """Go back to the committed model (``models/prepass-ner``): no version active."""
    if not ModelVersion.objects.filter(is_active=True).exists():
        raise ConflictError("The shipped model is already the one in use.")
    return _promote(version=None, user=user, rerun=rerun)


@transaction.atomic
def articles_rerun_queue(*, user) -> list[int]:
    """Queue the re-run for the unreviewed articles whose proposals another model made (left by a promotion
    without re-run, or held by an editor at the time)."""
    ids = rerun_candidates()
    event_record(
        actor=user,
        article_id=None,
        object_type="model_version",
        object_id=None,
        action="rerun_queued",
        after={"active": active_label(), "articles": len(ids)},
    )
    transaction.on_commit(lambda: _queue_rerun(ids))
    return ids
