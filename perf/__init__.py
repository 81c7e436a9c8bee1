"""The pure-Python twins of the hot paths and the dispatch between twin and native kernel (HIS_NO_EXTENSIONS)."""
