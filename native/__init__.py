"""Native (Cython) twins of the hot paths in `perf`; reached only through `perf`'s dispatch (HIS_NO_EXTENSIONS=1)."""
