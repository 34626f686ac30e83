"""ember.backends.mps: Apple's Metal back end is neither built nor available in ember."""


def is_available():
    """False: ember has no MPS back end."""
    return False


def is_built():
    """False: ember is not built with MPS."""
    return False
