"""Tables of the bhyt module."""
