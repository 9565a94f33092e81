"""Stand-in for torchvision.transforms (image chapters only)."""
