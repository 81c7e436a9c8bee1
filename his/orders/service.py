"""Use cases of the orders module: the only code that writes its tables."""

from __future__ import annotations
