"""Tables of the patients module."""
