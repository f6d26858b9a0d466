"""Provenance: lineage graphs read back from history, C2PA signing and verification, export stamps."""
