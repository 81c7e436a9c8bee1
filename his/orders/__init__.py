"""Orders and results (Circular 54 criteria 37-38) and the clinical data repository (level 2)."""
