"""Statistics of the built dataset, for people (text) and machines (JSON).

Counts asserted triples per named graph and inferred triples, entities (IRIs under
``{base}id/``) by asserted class, fact nodes (instances of ``dkg:Fact``, inferred
types included) with and without evidence (the body of an ``oa:Annotation``,
https://www.w3.org/TR/annotation-model/), and the competency questions
(``queries/cq*.rq``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from rdflib import Dataset, URIRef

from diplokg.config import Settings
from diplokg.namespaces import OA, RDF, graph_iri, project_namespaces, shorten
from diplokg.queries import load_dataset

COMPETENCY_QUESTIONS = "queries/cq*.rq"


@dataclass
class Stats:
    """Statistics of a built dataset.

    Attributes:
        asserted: Triples per asserted named graph (all but ``inferred`` and ``meta``).
        asserted_total: Their sum.
        inferred: Triples in ``graph/inferred``.
        entities_by_class: Entities under ``{base}id/`` per asserted class (compact IRIs).
        facts_with_evidence: Fact nodes that are the body of an annotation.
        facts_without_evidence: Fact nodes that are not (compact IRIs).
        competency_questions: Number of ``queries/cq*.rq`` files.
    """

    asserted: dict[str, int] = field(default_factory=dict)
    asserted_total: int = 0
    inferred: int = 0
    entities_by_class: dict[str, int] = field(default_factory=dict)
    facts_with_evidence: int = 0
    facts_without_evidence: list[str] = field(default_factory=list)
    competency_questions: int = 0

    def to_json(self) -> str:
        """Return the statistics as indented JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False)

    def to_text(self) -> str:
        """Return the statistics as text for a person."""
        lines = [f"asserted triples: {self.asserted_total}"]
        lines += [f"  {name}: {n}" for name, n in self.asserted.items()]
        lines.append(f"inferred triples: {self.inferred}")
        lines.append(f"entities by class: {sum(self.entities_by_class.values())}")
        lines += [f"  {cls}: {n}" for cls, n in self.entities_by_class.items()]
        total = self.facts_with_evidence + len(self.facts_without_evidence)
        lines.append(f"facts: {total} ({self.facts_with_evidence} with evidence)")
        lines += [f"  without evidence: {f}" for f in self.facts_without_evidence]
        lines.append(f"competency questions: {self.competency_questions}")
        return "\n".join(lines)


def compute_stats(dataset: Dataset, base: str, cq_count: int = 0) -> Stats:
    """Compute the statistics of a dataset.

    Args:
        dataset: The built dataset.
        base: The dataset namespace.
        cq_count: The number of competency questions.

    Returns:
        The statistics.
    """
    ns = project_namespaces(base)
    stats = Stats(competency_questions=cq_count)
    skip = {graph_iri(base, "inferred"), graph_iri(base, "meta")}
    by_class: Counter[str] = Counter()
    for graph in sorted(dataset.graphs(), key=lambda g: str(g.identifier)):
        name = str(graph.identifier)
        if not len(graph) or not name.startswith(str(ns.graph)):
            continue
        if graph.identifier == graph_iri(base, "inferred"):
            stats.inferred = len(graph)
        if graph.identifier in skip:
            continue
        stats.asserted[name[len(ns.graph) :]] = len(graph)
        for s, cls in graph.subject_objects(RDF.type):
            if isinstance(s, URIRef) and s.startswith(ns.id):
                by_class[shorten(cls, base)] += 1
    stats.asserted_total = sum(stats.asserted.values())
    stats.entities_by_class = dict(sorted(by_class.items(), key=lambda kv: (-kv[1], kv[0])))
    facts: set[object] = set()
    evidenced: set[object] = set()
    for graph in dataset.graphs():  # every graph, whatever the default graph is
        facts.update(graph.subjects(RDF.type, ns.dkg.Fact))
        evidenced.update(graph.objects(None, OA.hasBody))
    stats.facts_with_evidence = len(facts & evidenced)
    stats.facts_without_evidence = sorted(shorten(f, base) for f in facts - evidenced)
    return stats


def dist_stats(settings: Settings) -> Stats:
    """Compute the statistics of a project's built ``dist/``.

    Args:
        settings: Project root, output directory and base.

    Returns:
        The statistics.

    Raises:
        NotFound: There is no built dataset.
    """
    dataset = load_dataset(settings.dist_dir)
    cqs = len(list(settings.root.glob(COMPETENCY_QUESTIONS)))
    return compute_stats(dataset, settings.base, cqs)
