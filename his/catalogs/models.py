"""Catalog tables (being written)."""
