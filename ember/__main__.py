"""``python -m ember ...`` is the ``ember`` command (e.g. ``python -m ember run train.py``)."""
import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
