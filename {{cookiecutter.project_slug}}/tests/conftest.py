import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# The configs import ``models`` (their ``custom_imports``), which the README
# makes importable with ``export PYTHONPATH=$(pwd)``; tests do the same.
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))
