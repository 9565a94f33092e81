"""rnnlab: the recurrent-network lab of Dive into Deep Learning (chapters 8-9) as a pipeline."""

__version__ = "0.1.0"
