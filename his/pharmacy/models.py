"""Tables of the pharmacy module."""
