"""Use cases of the decision module: the only code that writes its tables."""

from __future__ import annotations
