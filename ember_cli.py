"""Entry point of the ``ember`` command: an interrupt while ember is still being imported ends
like one during training, with one line and exit status 130, not a traceback.

The console script imports only this module; ember (NumPy, the ops, the layers) is imported inside
``main``. Example: ``ember train phone-price`` runs ``sys.exit(ember_cli.main())``.
"""
import sys


def main():
    try:
        from ember.cli.main import main as run
    except KeyboardInterrupt:
        sys.stderr.write("ember: interrupted while starting\n")
        return 130
    return run()
