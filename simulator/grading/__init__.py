"""Layer 5: per-section scoring and its typed report."""
