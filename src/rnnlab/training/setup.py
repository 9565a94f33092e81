"""What a training job holds fixed while it runs: its settings, device, data splits, model,
optimizer and step, built before the output folder is made, so that a job that cannot start (bad
data, a model too large for memory, a bad init_from) leaves nothing behind."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from rnnlab.config import init_from_path
from rnnlab.data import Vocab, check_batchable, load_data, split_data
from rnnlab.errors import TrainingError
from rnnlab.models import build_model
from rnnlab.training.resume import data_fingerprint, init_from
from rnnlab.training.settings import Settings
from rnnlab.training.step import SGD, EagerStep, make_step


@dataclasses.dataclass
class Setup:
    """The job's fixed parts. Only annealing changes one: the optimizer's lr, and with it the
    step (a CUDA graph replays the lr it was captured with)."""

    settings: Settings
    device: torch.device
    vocab: Vocab
    fingerprint: str  # of the corpus and vocabulary (see data_fingerprint)
    train_ids: torch.Tensor  # (tokens,) on the device, as are the other splits
    val_ids: torch.Tensor
    test_ids: torch.Tensor
    model: torch.nn.Module
    optimizer: SGD
    generator: torch.Generator  # draws the minibatches
    step: EagerStep | None = None  # made by ready(), after a resume restored the optimizer
    # The parts of every checkpoint that never change during the job, built once.
    settings_dict: dict = dataclasses.field(default_factory=dict)
    vocab_dict: dict = dataclasses.field(default_factory=dict)
    model_args: dict = dataclasses.field(default_factory=dict)

    def ready(self) -> None:
        """Make the step (after a resume restored the optimizer and the generator)."""
        self.step = make_step(self.model, self.optimizer, self.settings, self.device,
                              self.train_ids, self.generator)

    def anneal(self) -> None:
        """Divide the lr by ``anneal`` for the epochs to come."""
        self.optimizer.lr /= self.settings.anneal
        self.ready()


def pick_device(name: str) -> torch.device:
    """``auto`` is CUDA when there is a GPU, else the CPU (the schema allows auto, cpu, cuda)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' was asked for, but CUDA is not available here")
    return torch.device(name)


def prepare(settings: Settings, data_dir: str | Path, out_dir: Path) -> Setup:
    """Read and check the data, split it, and build the model and optimizer, seeded."""
    device = pick_device(settings.device)
    corpus, vocab, stats = load_data(data_dir)
    settings_dict = settings.to_dict()
    train_ids, val_ids, test_ids = split_data(corpus, stats, settings_dict)
    check_data(stats, settings, data_dir, train_ids, val_ids)
    check_batchable(train_ids, settings.batch_size, settings.num_steps)
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    model = build_model(settings.cell, settings.impl, len(vocab), settings.hidden,
                        settings.layers, **settings.model_options())
    if settings.init_from:  # variant:NAME is NAME's best.pt beside this variant's folder
        init_from(init_from_path(settings.init_from, out_dir.parent), model, vocab)
    model = model.to(device)
    return Setup(settings=settings, device=device, vocab=vocab,
                 fingerprint=data_fingerprint(corpus, vocab), train_ids=train_ids.to(device),
                 val_ids=val_ids.to(device), test_ids=test_ids.to(device), model=model,
                 optimizer=SGD(model.parameters(), lr=settings.lr), generator=generator,
                 settings_dict=settings_dict, vocab_dict=vocab.to_dict(),
                 model_args=model.model_args())


def check_data(stats: dict, settings: Settings, data_dir, train_ids: torch.Tensor,
               val_ids: torch.Tensor) -> None:
    """Refuse data preprocessed with other settings than the config's, early stopping without
    held-out text, and a ``train_tokens`` the corpus cannot give: training on fewer tokens than
    asked would make metrics.json (which reports the asked number) and every comparison with
    other runs wrong."""
    for key in ("token", "min_freq"):
        if stats.get(key) != getattr(settings, key):
            raise TrainingError(f"data in {str(data_dir)!r} was preprocessed with {key} "
                                f"{stats.get(key)!r}, but the config asks for "
                                f"{getattr(settings, key)!r} (run rnnlab preprocess again)")
    if settings.patience and not len(val_ids):
        raise TrainingError(f"training.patience={settings.patience} counts held-out "
                            "evaluations, but data.val_tokens=0 holds out no text")
    if settings.train_tokens and len(train_ids) < settings.train_tokens:
        raise TrainingError(f"data.train_tokens={settings.train_tokens} is more than the "
                            f"{len(train_ids)} tokens the text has before its last "
                            f"val_tokens={settings.val_tokens}; lower it, or use 0 for all")
