"""The errors rnnlab raises for bad input. The command line prints them as one line."""


class RnnlabError(Exception):
    """A known error: bad input or a failed step, with the bad value in the message."""


class ConfigError(RnnlabError):
    """config.yaml or a command-line override is invalid; the message names the key."""


class DataError(RnnlabError):
    """A text, corpus or data directory cannot be used."""


class DownloadError(RnnlabError):
    """A download failed or its checksum does not match."""


class CheckpointError(RnnlabError):
    """A checkpoint is missing, corrupt or not an rnnlab checkpoint."""


class TrainingError(RnnlabError):
    """Training cannot start or stopped (for example, the loss diverged)."""


class GenerationError(RnnlabError):
    """Text generation was asked for with bad arguments."""


class ExportError(RnnlabError):
    """A model cannot be exported (a missing package, or the exporter failed)."""


class TrainingInterrupted(TrainingError):
    """A training job stopped on SIGTERM or SIGINT (after saving what it can resume from). The
    command exits with 128 + the signal's number, as a shell reports a job killed by it."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.exit_code = 128 + signum


LONG_WORD = 160  # a longer run of characters without a space is cut in error messages (a
# file path up to this length stays whole: the user needs it to act)
MESSAGE_MAX = 400  # characters of an error message the command line prints at most


def bounded(message: str) -> str:
    """``message`` short whatever the input it quotes: each word over LONG_WORD characters keeps
    its head and tail around ``...``, and the whole is cut at MESSAGE_MAX characters."""
    words = [word if len(word) <= LONG_WORD else f"{word[:100]}...{word[-50:]}"
             for word in message.split(" ")]
    message = " ".join(words)
    return message if len(message) <= MESSAGE_MAX else message[:MESSAGE_MAX - 3] + "..."
