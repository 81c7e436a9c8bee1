"""Use cases of the queues module: the only code that writes its tables."""

from __future__ import annotations
