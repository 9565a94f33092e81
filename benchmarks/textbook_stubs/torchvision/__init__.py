"""Stand-in for torchvision: d2l imports it for the image chapters only."""

from . import transforms  # noqa: F401
