"""Compare the OWL 2 RL routes of the build (owlrl, reasonable, rules) and time them.

Every route runs on exactly what the build reasons over (ontology + facts +
background, skolemised) and its ``graph/inferred`` (closure minus input minus noise)
is compared with owlrl's triple by triple. ``--pin`` records owlrl's result on the
generated 10k corpus in ``benchmarks/results/reasoners.json``, with the digest of the
input it was computed from, so that ``tests/test_reasoning.py`` can check the fast
routes against owlrl at 10k without running owlrl (about 45 s) on every test run;
when the input no longer matches the pin (the ontology or the generator changed),
the test runs owlrl itself.

``--measure`` times reasoning + consistency of one route on a project and reports
its peak memory, in a fresh process per route. The inputs are parsed with
pyoxigraph into plain lists of rdflib-term triples (blank nodes named per file,
as skolemisation would), not rdflib Graphs: parsing a million triples into Graphs
takes longer than the reasoning measured.

Usage::

    python -m benchmarks.reasoners [PROJECT ...] [--pin]
    python -m benchmarks.reasoners --measure PROJECT [--reasoner rules] [--reasoner owlrl]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from benchmarks.generate import generate
from diplokg.config import CANONICAL_BASE, Settings
from diplokg.consistency import find_inconsistencies
from diplokg.loading import load_project
from diplokg.namespaces import SCHEMA
from diplokg.reasoning import REASONERS, Triple, compute_inferences
from diplokg.serialise import to_ntriples
from diplokg.skolem import skolemise
from diplokg.sources import discover_sources
from diplokg.terms import ToRdflib

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


def plain_inputs(root: Path) -> tuple[list[list[Triple]], str]:
    """Load a project's reasoning inputs fast, as lists of triples (no rdflib Graph).

    Like :func:`reasoning_inputs` for the canonical base, except that a blank node
    becomes ``{base}.well-known/genid/{file}-{label}`` (the build's skolem IRIs hash
    the graph's structure instead; reasoning does not tell them apart).

    Args:
        root: The project directory.

    Returns:
        One list of triples per input file, and the base.
    """
    term = ToRdflib()
    genid = CANONICAL_BASE + ".well-known/genid/"
    files = [root / "ontology/diplokg.ttl", root / "ontology/alignment.ttl"]
    files += sorted((root / "data/sources").glob("*.ttl"))
    files += sorted((root / "data/facts").glob("*.ttl"))
    files += sorted((root / "data/background").glob("*.ttl"))
    out: list[list[Triple]] = []
    for n, path in enumerate(f for f in files if f.is_file()):
        rel = path.relative_to(root).as_posix()
        triples: list[Triple] = []
        blank: dict[Any, Node] = {}

        def node(t: Any, n: int = n, blank: dict[Any, Node] = blank) -> Node:
            if type(t) is ox.BlankNode:
                found = blank.get(t)
                if found is None:
                    found = blank[t] = URIRef(f"{genid}{n}-{t.value}")
                return found
            return term(t)

        for q in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=CANONICAL_BASE + rel):
            triples.append((node(q.subject), term(q.predicate), node(q.object)))
        out.append(triples)
    out.append(
        [
            (URIRef(CANONICAL_BASE + "id/" + s.id), SCHEMA.text, Literal(s.text))
            for s in discover_sources(root)
        ]
    )
    return out, CANONICAL_BASE


def digest(triples: Iterable[Triple]) -> str:
    """Return ``sha256:`` of some triples' sorted N-Triples."""
    graph = Graph(bind_namespaces="none")
    for triple in triples:
        graph.add(triple)
    return "sha256:" + hashlib.sha256(to_ntriples(graph)).hexdigest()


def run(root: Path, reasoner: str) -> dict[str, Any]:
    """Reason over a project with one reasoner.

    Args:
        root: The project directory.
        reasoner: ``owlrl``, ``reasonable`` or ``rules``.

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
        "fallback": reasoning.fallback,
        "seconds": round(seconds, 2),
        "asserted": len(reasoning.asserted),
        "closure": len(reasoning.closure),
        "inferred": len(reasoning.inferred),
        "graph": reasoning.inferred,
        "digest": digest(reasoning.inferred),
        "input_digest": digest(reasoning.asserted),
    }


def _lines(triples: Iterable[Triple]) -> list[str]:
    graph = Graph(bind_namespaces="none")
    for triple in triples:
        graph.add(triple)
    return sorted(to_ntriples(graph).decode().splitlines())


def compare(root: Path, fast: str = "reasonable") -> dict[str, Any]:
    """Run owlrl and a fast route on a project and list the differences.

    Args:
        root: The project directory.
        fast: ``reasonable`` or ``rules``.

    Returns:
        Per route its counts and time; ``only_owlrl`` and ``only_fast``, the inferred
        triples one gives and the other not (N-Triples lines).
    """
    owl, other = run(root, "owlrl"), run(root, fast)
    return {
        "owlrl": {k: v for k, v in owl.items() if k != "graph"},
        fast: {k: v for k, v in other.items() if k != "graph"},
        "only_owlrl": _lines(owl["graph"] - other["graph"]),
        "only_fast": _lines(other["graph"] - owl["graph"]),
    }


def measure(root: Path, reasoner: str) -> dict[str, Any]:
    """Time reasoning + consistency of one route on a project, in this process.

    Args:
        root: The project directory.
        reasoner: ``owlrl``, ``reasonable`` or ``rules``.

    Returns:
        Seconds to load (pyoxigraph, :func:`plain_inputs`), to reason and to check
        consistency; peak RSS (MiB) after loading and at the end; the counts.
    """
    start = time.perf_counter()
    inputs, base = plain_inputs(root)
    loaded = time.perf_counter()
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reasoning = compute_inferences(inputs, base, reasoner)
    reasoned = time.perf_counter()
    problems = find_inconsistencies(reasoning, base)
    checked = time.perf_counter()
    return {
        "reasoner": reasoner,
        "ran": reasoning.reasoner,
        "fallback": reasoning.fallback,
        "asserted": len(reasoning.asserted),
        "inferred": len(reasoning.inferred),
        "closure": len(reasoning.closure),
        "problems": len(problems),
        "load_s": round(loaded - start, 2),
        "reason_s": round(reasoned - loaded, 2),
        "consistency_s": round(checked - reasoned, 2),
        "reason_consistency_s": round(checked - loaded, 2),
        "peak_rss_after_load_mib": round(rss_loaded),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
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
    """Command line: compare routes on projects, ``--pin`` the 10k result, or ``--measure``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("projects", nargs="*", type=Path, help="project directories")
    parser.add_argument("--pin", action="store_true", help=f"write {PIN.name}")
    parser.add_argument("--fast", default="rules", choices=REASONERS[1:], help="route to compare")
    parser.add_argument("--measure", type=Path, help="time reasoning + consistency on a project")
    parser.add_argument("--reasoner", action="append", choices=REASONERS, help="for --measure")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        for reasoner in args.reasoner or ["rules"]:
            if args.in_process:
                print(json.dumps(measure(args.measure, reasoner)))
                continue
            cmd = [sys.executable, "-m", "benchmarks.reasoners", "--measure", str(args.measure)]
            subprocess.run([*cmd, "--reasoner", reasoner, "--in-process"], check=True)
    for root in args.projects:
        result = compare(root, args.fast)
        print(root, json.dumps({k: result[k] for k in ("owlrl", args.fast)}, indent=1))
        print(f"  only owlrl: {len(result['only_owlrl'])}", *result["only_owlrl"][:20], sep="\n")
        print(
            f"  only {args.fast}: {len(result['only_fast'])}", *result["only_fast"][:20], sep="\n"
        )
    if args.pin:
        print(json.dumps(pin(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
