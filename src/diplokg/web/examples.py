"""The competency questions of ``queries/`` as named examples for the query page.

Each ``queries/*.rq`` file is one example (``queries/checks/`` holds quality
checks, not examples); its ``# Question:`` header line is its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Example:
    """One competency question.

    Attributes:
        id: The file stem, e.g. ``cq01-visit``.
        question: The ``# Question:`` line, or the id when there is none.
        query: The query text.
    """

    id: str
    question: str
    query: str


def load_examples(root: Path) -> list[Example]:
    """Read the competency questions of a project.

    Args:
        root: The project directory (holding ``queries/``).

    Returns:
        The examples, sorted by file name; none when there is no ``queries/``.
    """
    examples = []
    for path in sorted((root / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        question = path.stem
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.lower().startswith("# question:"):
                question = stripped.split(":", 1)[1].strip() or path.stem
                break
        examples.append(Example(path.stem, question, text))
    return examples
