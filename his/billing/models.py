"""Tables of the billing module."""
