"""Entry point of the ``ember`` command: an interrupt while ember is still being imported ends
like one during training, with one line and exit status 130, not a traceback.

The console script imports only this module; ember (NumPy, the ops, the layers) is imported inside
``main`` with Ctrl-C only noted, not raised: a KeyboardInterrupt raised inside a C extension's
import (NumPy's) comes out as an ImportError, so the interrupt is acted on once the import is done.
Example: ``ember train phone-price`` runs ``sys.exit(ember_cli.main())``.
"""
import signal
import sys


def main():
    interrupted = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    except ValueError:                  # not the main thread: signals cannot be handled here
        previous = None
    except KeyboardInterrupt:           # Ctrl-C landed before the handler was in place
        sys.stderr.write("ember: interrupted while starting\n")
        return 130
    try:
        from ember.cli.main import main as run
    except KeyboardInterrupt:
        interrupted.append(signal.SIGINT)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if interrupted:
        sys.stderr.write("ember: interrupted while starting\n")
        return 130
    return run()
