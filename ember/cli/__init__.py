"""The ``ember`` command (``ember.cli.main:main``): ``ember train phone-price|cifar10`` and
``ember plot activations|losses``. Run ``ember --help``."""
