"""Where the repository and the tests' own data are, for tests in any folder."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = ROOT / "tests" / "data"
