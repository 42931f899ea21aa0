"""Modelling: what to cluster (features), clustering and k, RFM segments, stability, comparing runs.
May import errors, result, read; explain's levels and words where a segment gets its name."""
