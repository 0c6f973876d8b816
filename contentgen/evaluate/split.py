"""Temporal splits live in ``contentgen.data.split`` (rank tunes on them too, and rank sits below
evaluate); this name stays so existing imports keep working."""

from contentgen.data.split import TemporalSplit, temporal_split

__all__ = ["TemporalSplit", "temporal_split"]
