"""What watches a training job from outside: history.csv, written as it trains, its progress, as
a bar on a terminal or plain lines in a log file, and (rnnlab.training.live) curve.png redrawn
at its evaluations and TensorBoard's event files."""

from __future__ import annotations

import csv
import datetime
import io
import sys
import time
from pathlib import Path

from rnnlab.fileio import atomic_write_text
from rnnlab.training.live import LiveCurve, TensorBoardLog

HISTORY_FILE = "history.csv"
HISTORY_COLUMNS = ("epoch", "train_perplexity", "val_perplexity", "seconds", "tokens_per_second",
                   "lr")


class HistoryCSV:
    """history.csv: one row per epoch, appended and flushed as training runs, so that ``tail -f``
    and a spreadsheet can follow it. Opening it rewrites the rows so far, so a resumed run drops
    the rows its interrupted predecessor wrote after the checkpoint it resumes from."""

    def __init__(self, path: Path, rows: list[dict]):
        atomic_write_text(path, "".join(self.format(row) for row in [None, *rows]))
        self.file = path.open("a", encoding="utf-8", newline="")

    @staticmethod
    def format(row: dict | None) -> str:
        """One CSV line; ``None`` gives the header."""
        line = io.StringIO()
        if row is None:
            values = HISTORY_COLUMNS
        else:
            val = row.get("val_perplexity")
            values = (row["epoch"], row["train_perplexity"], "" if val is None else val,
                      row["seconds"], row["tokens"] / row["seconds"] if row["seconds"] else "",
                      row["lr"])
        csv.writer(line, lineterminator="\n").writerow(values)
        return line.getvalue()

    def append(self, row: dict) -> None:
        self.file.write(self.format(row))  # one write: a line is there whole or not at all
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def progress_line(variant: str, epochs: int, state) -> str:
    """A plain log line (for a log file, where a progress bar would be frames joined by \\r),
    without the ETA."""
    row = state.history[-1]
    held_out = [r for r in state.history if r.get("val_perplexity") is not None]
    val = (f"held-out {held_out[-1]['val_perplexity']:.2f} (epoch {held_out[-1]['epoch']}), "
           f"best {state.best:.2f} (epoch {state.best_epoch})" if held_out else "held-out -")
    return (f"{variant} epoch {row['epoch']}/{epochs}: train perplexity "
            f"{row['train_perplexity']:.2f}, {val}, {row['tokens'] / row['seconds']:,.0f} "
            "tokens/s")


class Observers:
    """history.csv, the progress display, curve.png and, given a folder, TensorBoard, told of
    each epoch after its evaluation. A context manager: leaving it closes the files and the
    bar."""

    def __init__(self, setup, out_dir: Path, state, progress: bool,
                 tensorboard: str | Path | None = None, curve: Path | None = None):
        from tqdm import tqdm

        settings = setup.settings
        self.setup, self.settings, self.first_epoch = setup, settings, state.epoch + 1
        self.history_csv = HistoryCSV(out_dir / HISTORY_FILE, state.history)
        self.plain = progress and not sys.stderr.isatty()
        self.bar = tqdm(total=settings.epochs, initial=state.epoch, unit="epoch", file=sys.stderr,
                        disable=not progress or self.plain, mininterval=0.5,
                        desc=settings.variant)
        self.started = time.perf_counter()
        self.curve = LiveCurve(settings, curve) if curve is not None else None
        self.board = (TensorBoardLog.open(tensorboard, settings, self.first_epoch)
                      if tensorboard is not None else None)

    def epoch_done(self, state) -> None:
        """Append the epoch's row; update the bar, or log a line after the first epoch of this
        run, each evaluation and the last epoch; log the epoch to TensorBoard; at an evaluation
        before the last, redraw the curve and give TensorBoard the greedy text (each within
        its budget, rnnlab.training.live)."""
        row, epochs = state.history[-1], self.settings.epochs
        evaluated = "val_perplexity" in row
        live = evaluated and not state.should_stop(self.settings)  # the end writes its own
        self.history_csv.append(row)
        if self.board is not None:
            self.board.epoch(row, self.predictions if live else None)
        if live and self.curve is not None:
            self.curve.evaluated(state.history, state.best_epoch)
        val = next((r["val_perplexity"] for r in reversed(state.history)
                    if r.get("val_perplexity") is not None), None)
        self.bar.set_postfix(ppl=f"{row['train_perplexity']:.2f}",
                             val="-" if val is None else f"{val:.2f}",
                             tok_s=f"{row['tokens'] / row['seconds']:.0f}", refresh=False)
        self.bar.update()
        if self.plain and (evaluated or row["epoch"] in (self.first_epoch, epochs)):
            done = row["epoch"] - self.first_epoch + 1
            eta = (time.perf_counter() - self.started) / done * (epochs - row["epoch"])
            print(f"{progress_line(self.settings.variant, epochs, state)}, ETA "
                  f"{datetime.timedelta(seconds=round(eta))}", file=sys.stderr, flush=True)

    def predictions(self) -> dict[str, str]:
        """The greedy text after each prefix, as the model is now."""
        from rnnlab.generate import greedy

        setup = self.setup
        return {prefix: greedy(setup.model, setup.vocab, prefix, self.settings.num_preds,
                               device=setup.device, token=self.settings.token)
                for prefix in self.settings.prefixes}

    def finished(self, metrics: dict) -> None:
        """The job's results written: TensorBoard gets the settings with the final results."""
        if self.board is not None:
            self.board.finish(metrics)

    def __enter__(self) -> Observers:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()
        self.history_csv.close()
        if self.board is not None:
            self.board.close()
