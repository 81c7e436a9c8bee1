"""Tables of the decision module (prefix decision_). Private to the module."""

from __future__ import annotations
