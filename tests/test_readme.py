"""The Python examples of README.md and docs/ are at least valid Python (one at module level used
``async with``, a SyntaxError for whoever copied it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [(path, number, code) for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
            for number, code in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), re.S))]


@pytest.mark.parametrize(("path", "number", "code"), EXAMPLES,
                         ids=[f"{path.name}-{number}" for path, number, _ in EXAMPLES])
def test_a_python_example_compiles(path: Path, number: int, code: str) -> None:
    compile(code, f"{path.name} example {number}", "exec")
