"""Where the shared data sets are: ``shared/`` beside the repository (as on CI), else /work/shared."""
import os

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CANDIDATES = [os.path.join(_ROOT, "..", "shared", "data", "phone_price", "train.csv"),
               "/work/shared/data/phone_price/train.csv"]

PHONE_CSV = os.path.normpath(next((p for p in _CANDIDATES if os.path.exists(p)), _CANDIDATES[0]))
