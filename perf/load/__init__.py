"""Helpers of the level-1 load scenario (perf/locustfile.py): synthetic people, the hand-offs between desks,
and the signed-in staff client."""
