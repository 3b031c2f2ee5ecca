"""Frame sources, frame quality and region finding (no Qt)."""
