"""A claim in docs/ or the README names the test that proves it: every test it names must exist.

A renamed or deleted test would otherwise leave a claim that nothing checks (issue 12: eight claims of
docs/security.md were false). This reads `file.py::test_name` and `::test_name` (which continues the file
named before it) in every document and looks each name up in that test file.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"])
REFERENCE = re.compile(r"`?((?:tests/)?(?:e2e/)?test_\w+\.py)?::(test_\w+)")
# "e2e/" is kept: tests/test_results_pages.py and tests/e2e/test_results_pages.py are two files.
FILE = re.compile(r"(?:tests/)?((?:e2e/)?test_\w+\.py)")


def _test_file(name: str) -> Path | None:
    if name.startswith("e2e/"):
        return ROOT / "tests" / name if (ROOT / "tests" / name).exists() else None
    for candidate in (ROOT / "tests" / name, ROOT / "tests" / "e2e" / name):
        if candidate.exists():
            return candidate
    return None


def _references(text: str) -> list[tuple[str, str]]:
    """(file, test) for every `::test_…`, the file being the last test file named before it."""
    found = []
    last_file = None
    for match in re.finditer(r"(?:tests/)?(?:e2e/)?test_\w+\.py|::test_\w+", text):
        token = match.group(0)
        if token.startswith("::"):
            if last_file:
                found.append((last_file, token[2:]))
        else:
            last_file = FILE.search(token).group(1)
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_test_a_document_names_exists(doc):
    text = doc.read_text()
    missing = []
    for file_name, test in _references(text):
        path = _test_file(file_name)
        if path is None:
            missing.append(f"{file_name} (no such file)")
        elif not re.search(rf"def {re.escape(test)}\b", path.read_text()):
            missing.append(f"{file_name}::{test}")
    for file_name in set(re.findall(r"\b(test_\w+\.py)\b", text)):
        if _test_file(file_name) is None:
            missing.append(f"{file_name} (no such file)")
    assert not missing, f"{doc.name} names tests that do not exist: {sorted(set(missing))}"
