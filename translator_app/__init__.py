"""Real-time Spanish-to-English news translation on Kafka, Faust and MarianMT."""

from __future__ import annotations

__all__ = ("__version__",)

__version__ = "0.1.0"
