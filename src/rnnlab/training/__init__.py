"""Training one variant: ``train`` (the loop, rnnlab.training.loop) and its ``Settings``.

Modules: settings (what the job is given), setup (what it holds fixed while it runs), state
(what it carries across a restart), epoch (one pass and the held-out perplexity), step (one
minibatch step, eager or as a CUDA graph), resume, job (the folder lock), observers
(history.csv and progress), live (curve.png at evaluations, TensorBoard) and outputs
(checkpoints, metrics.json, the curve).

``Settings`` and ``KEYS`` import without torch (the report and the rules' parse read them);
``train`` loads torch, so it is imported when first asked for."""

from rnnlab.training.settings import KEYS, Settings

__all__ = ["KEYS", "Settings", "train"]


def __getattr__(name: str):
    if name == "train":
        from rnnlab.training.loop import train

        return train
    raise AttributeError(f"module 'rnnlab.training' has no attribute {name!r}")
