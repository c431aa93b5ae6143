"""mel: monitoring, evaluation and learning indicators for counter-trafficking programmes."""

__version__ = "0.1.0"
