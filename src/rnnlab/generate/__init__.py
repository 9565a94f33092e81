"""Text generation from a trained language model (Dive into Deep Learning, sections 8.5 and 9.8).

All strategies warm the state up on the prefix the same way (``decoding``), then:

- ``greedy`` takes the argmax at every step: the textbook's ``predict_ch8`` (``sampling``);
- ``sample`` draws from ``softmax(logits / temperature)``, optionally only among the top k
  (``sampling``);
- ``beam_search`` keeps the ``beam_size`` most likely sequences and ranks the final candidates
  by the length-normalised score ``log P / L**alpha`` of section 9.8 (``beam``).

``generate`` runs one of them on a checkpoint written by ``rnnlab train`` (``from_checkpoint``);
``options`` checks the arguments.
"""

from rnnlab.generate.beam import beam_search
from rnnlab.generate.from_checkpoint import generate
from rnnlab.generate.options import (
    ALPHA_MAX,
    BEAM_SIZE_MAX,
    DEVICES,
    EOS,
    NUM_PREDS_MAX,
    SEED_MAX,
    STRATEGIES,
)
from rnnlab.generate.sampling import greedy, sample

__all__ = ["ALPHA_MAX", "BEAM_SIZE_MAX", "DEVICES", "EOS", "NUM_PREDS_MAX", "SEED_MAX",
           "STRATEGIES", "beam_search", "generate", "greedy", "sample"]
