"""What a running job shows of itself beyond history.csv: curve.png redrawn at its evaluations,
and with ``--tensorboard DIR`` TensorBoard event files (the ``tracking`` extra): per epoch the
training and held-out perplexity, the learning rate and tokens per second; at evaluations the
greedy text after each prefix; at the end the settings as hyperparameters with the final
results (the HParams dashboard). torch's SummaryWriter writes the event files.

Drawing a PNG (about 0.1 s) or predicting 2 x 50 tokens one at a time at every evaluation would
cost about a percent each of the lab's short epochs, so each has a Budget: done at the first
evaluation, then at an evaluation only while its time so far stays within its share of the
job's time. Logging in all stays under 1% (BENCHMARKS.md, "Live tracking")."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rnnlab.training.settings import KEYS, Settings

# The shares of the job's time that redrawing curve.png and the greedy text may take.
CURVE_SHARE, TEXT_SHARE = 0.003, 0.002
TRACKING_EXTRA = "pip install 'rnnlab[tracking]'"
SCALARS = {"train_perplexity": "perplexity/train", "val_perplexity": "perplexity/held_out",
           "lr": "lr", "tokens_per_second": "tokens_per_second"}
# The results the HParams dashboard shows beside the settings, as scalars final/<key>.
FINAL_KEYS = ("best_val_perplexity", "val_perplexity", "train_perplexity", "test_perplexity",
              "tokens_per_second", "best_epoch")
EVENTS_PREFIX = "events.out.tfevents."


class Budget:
    """Time for something done at evaluations: it is due at the first, then while the time
    spent on it stays within ``share`` of the time since the job started."""

    def __init__(self, share: float):
        self.share, self.started, self.spent = share, time.perf_counter(), 0.0

    def due(self) -> bool:
        return self.spent <= self.share * (time.perf_counter() - self.started)

    @contextlib.contextmanager
    def spending(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.spent += time.perf_counter() - start


class LiveCurve:
    """curve.png redrawn (atomically) at evaluations, within its Budget: there from the first
    evaluation on; the finished job draws the final one."""

    def __init__(self, settings: Settings, path: Path):
        self.settings, self.path, self.budget = settings, path, Budget(CURVE_SHARE)

    def evaluated(self, history: list[dict], best_epoch: int | None) -> None:
        from rnnlab.plots import plot_curve, pyplot

        if not self.budget.due():
            return
        pyplot()  # the import, once: the finished job's curve needs it anyway
        with self.budget.spending():
            plot_curve(history, self.settings.variant, self.path, cell=self.settings.cell,
                       impl=self.settings.impl, best_epoch=best_epoch)


def hparam_value(value):
    """A setting as the HParams dashboard takes it: numbers, text and booleans as they are,
    anything else (None, the prefixes) as text."""
    return value if isinstance(value, (bool, int, float, str)) else str(value)


class TensorBoardLog:
    """The event files of one job in its own folder. A fresh job (``first_epoch`` 1) removes
    the events of an earlier job there; a resumed one purges the events from ``first_epoch``
    on, which the interrupted job wrote after its checkpoint, so that the curves go on without
    duplicated steps."""

    def __init__(self, writer, settings: Settings):
        self.writer, self.settings, self.text_budget = writer, settings, Budget(TEXT_SHARE)

    @classmethod
    def open(cls, log_dir: str | Path, settings: Settings,
             first_epoch: int) -> TensorBoardLog | None:
        """The log, or None with one line on stderr when TensorBoard is not installed."""
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # torch's writer needs the tensorboard package
            print(f"TensorBoard is not installed ({TRACKING_EXTRA}): not writing {log_dir}",
                  file=sys.stderr)
            return None
        log_dir = Path(log_dir)
        if first_epoch == 1:
            for old in log_dir.glob(f"{EVENTS_PREFIX}*"):
                old.unlink()
        return cls(SummaryWriter(str(log_dir), purge_step=first_epoch), settings)

    def epoch(self, row: dict, predict: Callable[[], dict[str, str]] | None = None) -> None:
        """One epoch's row of the history; at an evaluation (``predict`` given) also the
        greedy text ({prefix: text}) when its Budget allows, and the events are flushed, so
        that TensorBoard shows them."""
        epoch = row["epoch"]
        values = {**row, "tokens_per_second": row["tokens"] / row["seconds"]
                  if row["seconds"] else None}
        for key, tag in SCALARS.items():
            if values.get(key) is not None:
                self.writer.add_scalar(tag, values[key], epoch)
        if predict is None:
            return
        if self.text_budget.due():
            with self.text_budget.spending():
                self.texts(predict(), epoch)
        self.writer.flush()

    def texts(self, predictions: dict[str, str], epoch: int) -> None:
        for prefix, text in predictions.items():  # indented: Markdown shows it verbatim
            self.writer.add_text(f"greedy/{prefix}", "    " + text.replace("\n", " "), epoch)

    def finish(self, metrics: dict) -> None:
        """The final greedy text (metrics.json's), and the settings as hyperparameters with
        the final results as the metrics."""
        from torch.utils.tensorboard.summary import hparams

        self.texts(metrics.get("predictions") or {}, metrics["stopped_epoch"])
        settings = {key: hparam_value(getattr(self.settings, key)) for key in KEYS}
        tags = {f"final/{key}": 0.0 for key in FINAL_KEYS}
        for summary in hparams(settings, tags):
            self.writer.file_writer.add_summary(summary)
        for key in FINAL_KEYS:
            if metrics.get(key) is not None:
                self.writer.add_scalar(f"final/{key}", metrics[key], metrics["stopped_epoch"])

    def close(self) -> None:
        self.writer.close()
