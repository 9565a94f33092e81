"""Text preprocessing as in Dive into Deep Learning, sections 8.2-8.3.

Reading and cleaning lines, char and word tokens (and word_language_model's whitespace tokens:
case and punctuation kept, ``<eos>`` at each line's end) (``tokens``), the vocabulary
(``vocab``), the corpus of token ids with a training head and a disjoint held-out tail, or the
splits of three files (``corpus``), the two minibatch iterators, random and sequential sampling,
and word_language_model's fixed windows (``batches``), and the data folder read back
(``load``). Everything is deterministic given a ``torch.Generator``.
"""

from rnnlab.data.batches import (
    SAMPLINGS,
    batches,
    check_batchable,
    fixed_batches,
    random_batches,
    sequential_batches,
)
from rnnlab.data.corpus import build_corpus, split_corpus, split_data, split_test
from rnnlab.data.load import CORPUS_FILE, STATS_FILE, VOCAB_FILE, load_data
from rnnlab.data.tokens import (
    EOS,
    NON_LETTERS,
    TOKEN_KINDS,
    clean_line,
    read_lines,
    read_text,
    read_tokens,
    tokenize,
    whitespace_tokens,
)
from rnnlab.data.vocab import Vocab, count_tokens

__all__ = ["CORPUS_FILE", "EOS", "NON_LETTERS", "SAMPLINGS", "STATS_FILE", "TOKEN_KINDS",
           "VOCAB_FILE", "Vocab", "batches", "build_corpus", "check_batchable", "clean_line",
           "count_tokens", "fixed_batches", "load_data", "random_batches", "read_lines",
           "read_text", "read_tokens", "sequential_batches", "split_corpus", "split_data",
           "split_test", "tokenize", "whitespace_tokens"]
