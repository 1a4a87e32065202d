"""Loading: parse every input file and assemble the named graphs of the dataset.

Turtle (https://www.w3.org/TR/turtle/) is parsed with Oxigraph (about ten times
faster than rdflib's parser) into rdflib graphs (:mod:`diplokg.terms`); a syntax
error names the file and the line. The named graphs are assembled as the project
contract says:

- ``graph/ontology``: ``ontology/diplokg.ttl`` + ``ontology/alignment.ttl``;
- ``graph/shapes``: ``ontology/shapes/*.ttl``;
- ``graph/facts/{id}``: ``data/sources/{id}.ttl`` + ``data/facts/{id}.ttl`` +
  ``<{base}id/{id}> schema:text "…the full text…"``;
- ``graph/background``: ``data/background/*.ttl``.

Data files are written against the canonical base ``https://w3id.org/diplokg/``;
when the configured base differs, every IRI (and ``xsd:anyURI`` literal, e.g. a
SHACL ``sh:namespace``) starting with the canonical base is rewritten. Relative
IRIs in a file resolve against ``{canonical base}{path of the file}`` so that
parsing does not depend on where the project is checked out.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import IdentifiedNode, Node

from diplokg.config import CANONICAL_BASE, Settings
from diplokg.errors import FileSyntaxError, InputError, NotFound
from diplokg.namespaces import SCHEMA, XSD, graph_iri, project_namespaces
from diplokg.sources import Source, discover_sources
from diplokg.terms import ToRdflib

ONTOLOGY_FILE = Path("ontology/diplokg.ttl")
ALIGNMENT_FILE = Path("ontology/alignment.ttl")
SHAPES_DIR = Path("ontology/shapes")
DATA_SHAPES_FILE = SHAPES_DIR / "data.ttl"
ONTOLOGY_SHAPES_FILE = SHAPES_DIR / "ontology.ttl"
BACKGROUND_DIR = Path("data/background")


@dataclass
class Project:
    """The parsed inputs of a project, before any check.

    Attributes:
        base: The dataset namespace every graph is written in.
        root: The project directory.
        sources: The sources, sorted by id.
        graphs: Named graphs by name (``ontology``, ``shapes``, ``facts/{id}``,
            ``background``), each a graph whose identifier is its graph IRI.
        files: The input files of each named graph, relative to the root.
        data_shapes: The shapes of ``ontology/shapes/data.ttl`` (blank nodes shared
            with ``graphs["shapes"]``).
        ontology_shapes: The shapes of ``ontology/shapes/ontology.ttl``.
        input_digest: sha256 over the paths and bytes of every input file.
    """

    base: str
    root: Path
    sources: list[Source]
    graphs: dict[str, Graph]
    files: dict[str, list[Path]] = field(default_factory=dict)
    data_shapes: Graph = field(default_factory=Graph)
    ontology_shapes: Graph = field(default_factory=Graph)
    input_digest: str = ""

    def source_texts(self) -> dict[URIRef, str]:
        """Return the text of every source by its IRI ``{base}id/{id}``."""
        ns = project_namespaces(self.base)
        return {ns.id[s.id]: s.text for s in self.sources}

    def data_graph_names(self) -> list[str]:
        """Return the names of the facts and background graphs, sorted."""
        return sorted(n for n in self.graphs if n.startswith("facts/") or n == "background")


def new_graph(identifier: IdentifiedNode | str | None = None) -> Graph:
    """Return an empty in-memory graph with no prefix bindings.

    The graph uses rdflib's ``SimpleMemory`` store: a graph here is one named graph,
    never a dataset, and that store adds a triple in half the time of the default one.

    Args:
        identifier: The graph name, if any.

    Returns:
        The graph.
    """
    return Graph(store="SimpleMemory", identifier=identifier, bind_namespaces="none")


def parse_turtle(
    path: Path,
    display: Path | None = None,
    public_id: str | None = None,
    into: Graph | None = None,
    terms: ToRdflib | None = None,
) -> Graph:
    """Parse one Turtle file.

    Args:
        path: The file to read.
        display: How to name the file in messages (default: ``path``).
        public_id: The base IRI relative IRIs resolve against (default: the canonical
            base followed by the file name), never the file's location.
        into: The graph to add the triples to (default: a new graph).
        terms: The term converter to use (share one to share equal terms).

    Returns:
        The graph with the file's triples.

    Raises:
        NotFound: The file does not exist.
        FileSyntaxError: The file does not parse, or holds an ill-typed literal
            such as ``"x"^^xsd:integer``; the message names the file and line.
    """
    shown = display or path
    if not path.is_file():
        raise NotFound(f"{shown}: file not found")
    graph = new_graph() if into is None else into
    term = terms or ToRdflib()
    add = graph.add
    ill: set[str] = set()
    blank: dict[Any, BNode] = {}
    try:
        for t in ox.parse(
            path=path,
            format=ox.RdfFormat.TURTLE,
            base_iri=public_id or CANONICAL_BASE + path.name,
        ):
            s, o = t.subject, t.object
            # A blank node label is local to its file: each file gets fresh nodes.
            s = blank.setdefault(s, BNode()) if type(s) is ox.BlankNode else term(s)
            o = blank.setdefault(o, BNode()) if type(o) is ox.BlankNode else term(o)
            if type(o) is Literal and o.ill_typed:
                ill.add(o.n3())
            add((s, term(t.predicate), o))
    except SyntaxError as e:
        # "Parser error at line 6 column 8: A dot is expected…": keep the reason and column.
        message = (e.msg or str(e)).split(": ", 1)[-1]
        if e.lineno and e.offset:
            message += f" (column {e.offset})"
        raise FileSyntaxError(shown, e.lineno, message) from None
    except (UnicodeDecodeError, ValueError, OSError) as e:
        raise FileSyntaxError(shown, None, str(e)) from None
    if ill:
        raise FileSyntaxError(shown, None, "ill-typed literal(s): " + ", ".join(sorted(ill)))
    return graph


def rewrite_term(term: Node, old: str, new: str) -> Node:
    """Rewrite one term from the ``old`` base to the ``new`` base.

    Args:
        term: An IRI, literal or blank node.
        old: The base to replace (a prefix of IRIs).
        new: The base to put in its place.

    Returns:
        The term with its IRI, its datatype IRI or, for an ``xsd:anyURI`` literal,
        its value rewritten; other terms unchanged.
    """
    if isinstance(term, URIRef):
        return URIRef(new + term[len(old) :]) if term.startswith(old) else term
    if isinstance(term, Literal):
        value = str(term)
        dt = term.datatype
        if dt == XSD.anyURI and value.startswith(old):
            return Literal(new + value[len(old) :], datatype=dt)
        if dt is not None and dt.startswith(old):
            return Literal(value, datatype=URIRef(new + dt[len(old) :]))
    return term


def rewrite_base(graph: Graph, old: str, new: str) -> Graph:
    """Return a copy of a graph with every IRI under ``old`` moved under ``new``.

    Args:
        graph: The graph (not modified).
        old: The base written in the files (the canonical base).
        new: The configured base.

    Returns:
        A new graph with the same identifier; the graph itself if the bases are equal.
    """
    if old == new:
        return graph
    out = new_graph(graph.identifier)
    for s, p, o in graph:
        out.add(
            (
                rewrite_term(s, old, new),
                rewrite_term(p, old, new),
                rewrite_term(o, old, new),
            )
        )
    return out


def _merge(name: str, base: str, parts: Iterable[Graph]) -> Graph:
    graph = new_graph(graph_iri(base, name))
    for part in parts:
        for triple in part:
            graph.add(triple)
    return graph


#: The directories of a project's input files, and the endings of the files in each.
INPUT_DIRS = (
    ("ontology", (".ttl",)),
    ("ontology/shapes", (".ttl",)),
    ("data/sources", (".txt", ".ttl")),
    ("data/facts", (".ttl",)),
    ("data/background", (".ttl",)),
)


def input_files(root: Path) -> list[Path]:
    """List every input file of a project (relative to the root), sorted.

    The entries of each directory of :data:`INPUT_DIRS` whose names end as listed
    (what ``root.glob("ontology/*.ttl")`` and the like give, read with one
    ``scandir`` per directory: a project of thousands of sources is listed on
    every build).

    Args:
        root: The project directory.

    Returns:
        The ontology, shapes, source, facts and background files that exist.
    """
    found: list[str] = []
    for directory, endings in INPUT_DIRS:
        try:
            with os.scandir(root / directory) as entries:
                found += [f"{directory}/{e.name}" for e in entries if e.name.endswith(endings)]
        except (FileNotFoundError, NotADirectoryError):
            continue
    return [Path(name) for name in sorted(found)]


def digest_files(root: Path, files: Iterable[Path]) -> str:
    """Hash a set of files: sha256 over each relative path and its bytes.

    Args:
        root: The directory the paths are relative to.
        files: The files, in the order to hash them.

    Returns:
        ``sha256:`` followed by the hex digest.
    """
    h = hashlib.sha256()
    for rel in files:
        data = (root / rel).read_bytes()
        h.update(f"{rel.as_posix()}\0{len(data)}\0".encode())
        h.update(data)
    return "sha256:" + h.hexdigest()


class _Parser:
    """Parses a project's files into graphs under the configured base."""

    def __init__(self, root: Path, base: str) -> None:
        self.root = root
        self.base = base
        self.terms = ToRdflib()

    def parse(self, rel: Path, into: Graph | None = None) -> Graph:
        path = self.root / rel
        public_id = CANONICAL_BASE + rel.as_posix()
        if self.base == CANONICAL_BASE:
            return parse_turtle(path, path, public_id, into, self.terms)
        graph = parse_turtle(path, path, public_id, None, self.terms)
        graph = rewrite_base(graph, CANONICAL_BASE, self.base)
        if into is None:
            return graph
        for triple in graph:
            into.add(triple)
        return into

    def parse_all(self, name: str, rels: Iterable[Path]) -> Graph:
        graph = new_graph(graph_iri(self.base, name))
        for rel in rels:
            self.parse(rel, graph)
        return graph


def source_files(source: Source) -> list[Path]:
    """The files of a source, relative to the project root: metadata, text, facts."""
    files = [source.metadata_path, source.text_path]
    if source.facts_path is not None:
        files.append(source.facts_path)
    return files


def parse_source(root: Path, base: str, source: Source, terms: ToRdflib | None = None) -> Graph:
    """Parse one source into its named graph ``graph/facts/{id}``.

    The graph holds the source's metadata, its facts and
    ``<{base}id/{id}> schema:text "…the full text…"``.

    Args:
        root: The project directory.
        base: The dataset namespace.
        source: The source.
        terms: The term converter to share, if any.

    Returns:
        The graph, named ``{base}graph/facts/{id}``.

    Raises:
        FileSyntaxError: A file does not parse.
    """
    parser = _Parser(root, base)
    if terms is not None:
        parser.terms = terms
    rels = [source.metadata_path]
    if source.facts_path is not None:
        rels.append(source.facts_path)
    graph = parser.parse_all(f"facts/{source.id}", rels)
    graph.add((project_namespaces(base).id[source.id], SCHEMA.text, Literal(source.text)))
    return graph


def load_project(settings: Settings, parse_sources: bool = True) -> Project:
    """Parse every input of a project and assemble its named graphs.

    Args:
        settings: Where the project is (``root``) and which base to publish under.
        parse_sources: Whether to parse the sources into ``facts/{id}`` graphs; the
            build leaves them to :mod:`diplokg.stage`, which parses them in parallel
            and takes what it can from the incremental cache.

    Returns:
        The project, every graph rewritten to ``settings.base``.

    Raises:
        NotFound: A required file is missing (``ontology/diplokg.ttl``,
            ``ontology/shapes/data.ttl``, ``ontology/shapes/ontology.ttl``).
        FileSyntaxError: A file does not parse.
        InputError: The sources are incomplete (see :func:`discover_sources`).
    """
    root, base = settings.root, settings.base
    if not root.is_dir():
        raise NotFound(f"{root}: project directory not found")
    sources = discover_sources(root)
    parser = _Parser(root, base)

    files: dict[str, list[Path]] = {}
    graphs: dict[str, Graph] = {}

    files["ontology"] = [ONTOLOGY_FILE]
    if (root / ALIGNMENT_FILE).is_file():
        files["ontology"].append(ALIGNMENT_FILE)
    graphs["ontology"] = parser.parse_all("ontology", files["ontology"])

    for required in (DATA_SHAPES_FILE, ONTOLOGY_SHAPES_FILE):
        if not (root / required).is_file():
            raise NotFound(f"{root / required}: file not found (SHACL shapes are required)")
    files["shapes"] = sorted(p.relative_to(root) for p in (root / SHAPES_DIR).glob("*.ttl"))
    shape_graphs = {rel: parser.parse(rel) for rel in files["shapes"]}
    graphs["shapes"] = _merge("shapes", base, shape_graphs.values())

    for source in sources:
        files[f"facts/{source.id}"] = source_files(source)
        if parse_sources:
            graphs[f"facts/{source.id}"] = parse_source(root, base, source, parser.terms)

    files["background"] = sorted(p.relative_to(root) for p in (root / BACKGROUND_DIR).glob("*.ttl"))
    graphs["background"] = parser.parse_all("background", files["background"])

    if not len(graphs["ontology"]):
        raise InputError(f"{root / ONTOLOGY_FILE}: the ontology is empty")
    return Project(
        base=base,
        root=root,
        sources=sources,
        graphs=graphs,
        files=files,
        data_shapes=shape_graphs[DATA_SHAPES_FILE],
        ontology_shapes=shape_graphs[ONTOLOGY_SHAPES_FILE],
        input_digest=digest_files(root, input_files(root)),
    )
