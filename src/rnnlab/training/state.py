"""What a training job carries across a restart: the epoch reached, the history, the best
held-out perplexity and its checkpoint, the time spent, and the snapshot that ``resume.pt`` is
written from. One checkpoint holds it with the model, optimizer and random states."""

from __future__ import annotations

import dataclasses
import time

from rnnlab.checkpoint import rng_states
from rnnlab.training.epoch import perplexity


@dataclasses.dataclass
class TrainingState:
    epoch: int = 0  # the last finished epoch
    history: list[dict] = dataclasses.field(default_factory=list)  # one row per epoch
    best: float | None = None  # the best held-out perplexity so far
    best_epoch: int | None = None
    best_checkpoint: dict | None = None  # best.pt's payload
    train_seconds: float = 0.0
    train_started: float | None = None  # wall-clock time of the first epoch's start
    train_ended: float | None = None
    # The checkpoint of the end of `epoch` with best_checkpoint inside: resume.pt's payload,
    # kept as copies so that a signal arriving in the next epoch can still write it.
    snapshot: dict | None = None

    @classmethod
    def from_checkpoint(cls, payload: dict) -> TrainingState:
        """The state a resume checkpoint (resume.pt) holds."""
        return cls(epoch=payload["epoch"], history=payload["history"],
                   best=payload["best_val_perplexity"], best_epoch=payload["best_epoch"],
                   best_checkpoint=payload["best_checkpoint"],
                   train_seconds=payload["train_seconds"],
                   train_started=payload["train_started"], train_ended=payload["train_ended"])

    def to_checkpoint(self, setup) -> dict:
        """The checkpoint of the end of ``epoch`` (checkpoint.pt's and best.pt's payload), with
        copies of every tensor and list, so that later steps do not change it."""
        model, optimizer = setup.model, setup.optimizer
        return {"model_state": {k: v.detach().clone() for k, v in model.state_dict().items()},
                "optimizer_state": dict(optimizer.state_dict()), "model_args": setup.model_args,
                "vocab": setup.vocab_dict, "token": setup.settings.token, "epoch": self.epoch,
                "rng_state": rng_states(setup.generator), "best_val_perplexity": self.best,
                "best_epoch": self.best_epoch, "settings": setup.settings_dict,
                "history": [dict(row) for row in self.history],
                "train_seconds": self.train_seconds, "train_started": self.train_started,
                "train_ended": self.train_ended, "data_fingerprint": setup.fingerprint}

    def record(self, epoch: int, mean_loss: float, seconds: float, tokens: int,
               lr: float) -> None:
        """A finished epoch's row (``lr`` is the one it trained with)."""
        self.epoch, self.train_ended = epoch, time.time()
        self.train_seconds += seconds
        self.history.append({"epoch": epoch, "train_perplexity": perplexity(mean_loss),
                             "seconds": seconds, "tokens": tokens, "lr": lr})

    def record_held_out(self, val: float | None) -> bool:
        """Add the epoch's held-out perplexity; True when it was measured and is no new best
        (what ``anneal`` answers)."""
        self.history[-1]["val_perplexity"] = val
        if val is None:
            return False
        if self.best is None or val < self.best:
            self.best, self.best_epoch = val, self.epoch
            return False
        return True

    def take_snapshot(self, setup) -> None:
        """Copy the end of ``epoch``: best_checkpoint too when this epoch is the best."""
        current = self.to_checkpoint(setup)
        if self.best_epoch == self.epoch:
            self.best_checkpoint = current
        self.snapshot = {**current, "best_checkpoint": self.best_checkpoint}

    def current(self) -> dict:
        """The snapshot without best_checkpoint: checkpoint.pt's payload."""
        return {k: v for k, v in self.snapshot.items() if k != "best_checkpoint"}

    def should_stop(self, settings) -> bool:
        """The last epoch, or ``patience`` held-out evaluations without a new best."""
        return self.epoch >= settings.epochs or (
            settings.patience > 0 and self.evaluations_since_best() >= settings.patience)

    def evaluations_since_best(self) -> int:
        """Held-out evaluations after the best one (what ``patience`` counts)."""
        if self.best_epoch is None:
            return 0
        return sum(1 for row in self.history
                   if row["epoch"] > self.best_epoch and row.get("val_perplexity") is not None)
