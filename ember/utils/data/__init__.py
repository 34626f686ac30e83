"""ember.utils.data (being written)."""
