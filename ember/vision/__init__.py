"""ember.vision (being written)."""
