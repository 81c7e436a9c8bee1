"""Use cases of the appointments module: the only code that writes its tables."""

from __future__ import annotations
