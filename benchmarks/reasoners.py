"""Compare the two OWL 2 RL reasoners of the build, owlrl and reasonable.

Both run on exactly what the build reasons over (ontology + facts + background,
skolemised) and their ``graph/inferred`` (closure minus input minus noise) is
compared triple by triple. ``--pin`` records owlrl's result on the generated 10k
corpus in ``benchmarks/results/reasoners.json``, with the digest of the input it
was computed from, so that ``tests/test_reasoning.py`` can check reasonable against
owlrl at 10k without running owlrl (about 45 s) on every test run; when the input
no longer matches the pin (the ontology or the generator changed), the test runs
owlrl itself.

Usage::

    python -m benchmarks.reasoners [PROJECT ...] [--pin]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rdflib import Graph

from benchmarks.generate import generate
from diplokg.config import Settings
from diplokg.loading import load_project
from diplokg.reasoning import compute_inferences
from diplokg.serialise import to_ntriples
from diplokg.skolem import skolemise

RESULTS = Path(__file__).resolve().parent / "results"
PIN = RESULTS / "reasoners.json"
#: The generated corpus the pin is for: ``generate(target, PIN_TRIPLES, PIN_SEED)``.
PIN_TRIPLES, PIN_SEED = 10_000, 1


def reasoning_inputs(root: Path) -> tuple[list[Graph], str]:
    """Load a project as the build does and return what it reasons over.

    Args:
        root: The project directory.

    Returns:
        The skolemised ontology, facts and background graphs, and the base.
    """
    settings = Settings.from_env({}, root=root)
    project = load_project(settings)
    graphs = {n: skolemise(g, settings.base) for n, g in project.graphs.items()}
    names = ["ontology", *project.data_graph_names()]
    return [graphs[n] for n in names], settings.base


def digest(graph: Graph) -> str:
    """Return ``sha256:`` of a graph's sorted N-Triples."""
    return "sha256:" + hashlib.sha256(to_ntriples(graph)).hexdigest()


def union(graphs: list[Graph]) -> Graph:
    """Return the union of graphs."""
    out = Graph(bind_namespaces="none")
    for g in graphs:
        for triple in g:
            out.add(triple)
    return out


def run(root: Path, reasoner: str) -> dict[str, Any]:
    """Reason over a project with one reasoner.

    Args:
        root: The project directory.
        reasoner: ``owlrl`` or ``reasonable``.

    Returns:
        ``seconds``, ``asserted``, ``closure``, ``inferred`` (counts), the inferred
        ``graph`` and its ``digest``, and the ``input_digest``.
    """
    inputs, base = reasoning_inputs(root)
    start = time.perf_counter()
    reasoning = compute_inferences(inputs, base, reasoner)
    seconds = time.perf_counter() - start
    return {
        "reasoner": reasoning.reasoner,
        "seconds": round(seconds, 2),
        "asserted": len(reasoning.asserted),
        "closure": len(reasoning.closure),
        "inferred": len(reasoning.inferred),
        "graph": reasoning.inferred,
        "digest": digest(reasoning.inferred),
        "input_digest": digest(reasoning.asserted),
    }


def compare(root: Path) -> dict[str, Any]:
    """Run both reasoners on a project and list the differences.

    Args:
        root: The project directory.

    Returns:
        Per reasoner its counts and time; ``only_owlrl`` and ``only_reasonable``, the
        inferred triples one gives and the other not (N-Triples lines).
    """
    owl, fast = run(root, "owlrl"), run(root, "reasonable")
    only_o = sorted(to_ntriples(owl["graph"] - fast["graph"]).decode().splitlines())
    only_r = sorted(to_ntriples(fast["graph"] - owl["graph"]).decode().splitlines())
    strip = {k: v for k, v in owl.items() if k != "graph"}
    return {
        "owlrl": strip,
        "reasonable": {k: v for k, v in fast.items() if k != "graph"},
        "only_owlrl": only_o,
        "only_reasonable": only_r,
    }


def pin(path: Path = PIN, ontology: Path | None = None) -> dict[str, Any]:
    """Generate the 10k corpus, run owlrl on it and record the result in ``path``."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, PIN_TRIPLES, PIN_SEED, ontology)
        owl = run(root, "owlrl")
    record = {
        "corpus": f"benchmarks.generate --triples {PIN_TRIPLES} --seed {PIN_SEED}",
        "input_digest": owl["input_digest"],
        "owlrl_digest": owl["digest"],
        "owlrl_inferred": owl["inferred"],
        "owlrl_seconds": owl["seconds"],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return record


def main(argv: list[str] | None = None) -> int:
    """Command line: compare both reasoners on projects, or ``--pin`` the 10k result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("projects", nargs="*", type=Path, help="project directories")
    parser.add_argument("--pin", action="store_true", help=f"write {PIN.name}")
    args = parser.parse_args(argv)
    for root in args.projects:
        result = compare(root)
        print(root, json.dumps({k: result[k] for k in ("owlrl", "reasonable")}, indent=1))
        print(f"  only owlrl: {len(result['only_owlrl'])}", *result["only_owlrl"][:20], sep="\n")
        print(f"  only reasonable: {len(result['only_reasonable'])}")
        print(*result["only_reasonable"][:20], sep="\n")
    if args.pin:
        print(json.dumps(pin(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
