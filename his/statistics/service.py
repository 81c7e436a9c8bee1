"""Use cases of the statistics module: the only code that writes its tables."""

from __future__ import annotations
