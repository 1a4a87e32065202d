"""Queries: SPARQL 1.1 over the built dataset, with rdflib's engine.

Runs SPARQL 1.1 Query (https://www.w3.org/TR/sparql11-query/) against
``dist/diplokg.trig`` loaded as an rdflib ``Dataset`` whose default graph is the
union of the named graphs (``GRAPH`` still names one). Results are written as a
plain-text table or in the SPARQL 1.1 result formats
(https://www.w3.org/TR/sparql11-results-json/, …-xml, …-csv-tsv) for SELECT and
ASK, and as Turtle, N-Triples, JSON-LD or RDF/XML for CONSTRUCT and DESCRIBE.

A query that names a remote graph (``FROM``/``FROM NAMED`` an IRI that is not a
non-empty graph of the dataset) or uses ``SERVICE`` is refused: rdflib would
fetch it from the web.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pyparsing import ParseException
from rdflib import Dataset, Graph
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result
from rdflib.term import Node

from diplokg.config import Settings
from diplokg.errors import InputError, NotFound, QuerySyntaxError
from diplokg.namespaces import prefixes_for, shorten

#: ``--format`` values for SELECT and ASK → rdflib result serialiser (None: written here).
RESULT_FORMATS: dict[str, str | None] = {
    "table": None,
    "json": "json",
    "xml": "xml",
    "csv": "csv",
    "tsv": None,  # rdflib has no TSV writer: see format_tsv
}
#: ``--format`` values for CONSTRUCT and DESCRIBE → rdflib graph serialiser.
GRAPH_FORMATS: dict[str, str] = {
    "turtle": "turtle",
    "nt": "nt",
    "json-ld": "json-ld",
    "xml": "xml",
}
DATASET_FILE = "diplokg.trig"


def load_dataset(dist: Path) -> Dataset:
    """Load the built dataset, its default graph the union of the named graphs.

    Args:
        dist: The output directory of a build.

    Returns:
        The dataset.

    Raises:
        NotFound: ``dist/diplokg.trig`` does not exist (run ``diplokg build`` first).
    """
    path = dist / DATASET_FILE
    if not path.is_file():
        raise NotFound(f"{path}: not found; run `diplokg build` first")
    dataset = Dataset(default_union=True)
    dataset.parse(path, format="trig")
    return dataset


def read_query(arg: str) -> str:
    """Return query text from a command-line argument: a file's path or the query itself.

    Args:
        arg: A path to an existing file (e.g. ``queries/cq01-x.rq``) or SPARQL text.

    Returns:
        The query text.

    Raises:
        InputError: The file is not valid UTF-8.
    """
    path = Path(arg)
    if "\n" not in arg and len(arg) < 4096 and path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{path}: not valid UTF-8: {e.reason}") from None
    return arg


def parse_query(text: str) -> Query:
    """Parse a SPARQL query.

    Args:
        text: The query.

    Returns:
        The prepared query.

    Raises:
        QuerySyntaxError: It does not parse; the message quotes the parser and
            names the line and column.
    """
    try:
        return prepareQuery(text)
    except ParseException as e:
        raise QuerySyntaxError(e.lineno, e.col, str(e)) from None
    except Exception as e:  # rdflib raises bare Exception, e.g. for an unknown prefix
        raise QuerySyntaxError(None, None, str(e)) from None


def _walk(node: object) -> Iterator[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _walk(value)


def check_local(query: Query, dataset: Dataset) -> None:
    """Refuse a query that would make rdflib fetch data from the web.

    Args:
        query: The prepared query.
        dataset: The dataset it will run on.

    Raises:
        InputError: The query uses ``SERVICE``, or ``FROM``/``FROM NAMED`` an IRI
            that is not a non-empty graph of the dataset.
    """
    known = {g.identifier for g in dataset.graphs() if len(g)}
    for part in _walk(query.algebra):
        if part.name == "ServiceGraphPattern":
            raise InputError("SERVICE is not supported: queries run on the local dataset only")
        if part.name == "DatasetClause":
            iri = part.get("default") or part.get("named")
            if iri not in known:
                raise InputError(f"FROM <{iri}>: no such graph in the dataset")


def _cell(term: Node | None, base: str) -> str:
    return "" if term is None else shorten(term, base)


def format_table(result: Result, base: str) -> str:
    """Write SELECT or ASK results as a plain-text table.

    Args:
        result: The query result.
        base: The dataset namespace, used to write IRIs compactly.

    Returns:
        The table, one row a line, with a row count; ``true``/``false`` for ASK.
    """
    if result.type == "ASK":
        return "true" if result.askAnswer else "false"
    names = [str(v) for v in result.vars or []]
    rows = [[_cell(row[i], base) for i in range(len(names))] for row in result]  # type: ignore[index]
    widths = [max([len(n) + 1, *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    lines = [" | ".join(f"?{n}".ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(line.rstrip() for line in lines)


def format_tsv(result: Result) -> str:
    """Write SELECT results as SPARQL 1.1 TSV (https://www.w3.org/TR/sparql11-results-csv-tsv/).

    Args:
        result: A SELECT result.

    Returns:
        A header of ``?variables`` and one row a line, terms in N-Triples syntax.
    """
    names = [str(v) for v in result.vars or []]
    lines = ["\t".join(f"?{n}" for n in names)]
    for row in result:
        cells = [row[i] for i in range(len(names))]  # type: ignore[index]
        lines.append("\t".join("" if c is None else c.n3().replace("\t", "\\t") for c in cells))
    return "\n".join(lines) + "\n"


def run_query(dataset: Dataset, text: str, fmt: str | None = None, base: str = "") -> str:
    """Run a SPARQL query and write its result.

    Args:
        dataset: The dataset (default graph: the union).
        text: The query.
        fmt: A key of :data:`RESULT_FORMATS` (SELECT, ASK) or :data:`GRAPH_FORMATS`
            (CONSTRUCT, DESCRIBE); default ``table`` or ``turtle``.
        base: The dataset namespace, for prefixes and the table.

    Returns:
        The serialised result.

    Raises:
        QuerySyntaxError: The query does not parse.
        InputError: The format does not fit the query form, or the query is not local.
    """
    query = parse_query(text)
    check_local(query, dataset)
    result = dataset.query(query)
    if result.type in ("SELECT", "ASK"):
        fmt = fmt or "table"
        if fmt not in RESULT_FORMATS:
            raise InputError(
                f"format {fmt!r} does not fit a {result.type} query; use one of "
                + ", ".join(RESULT_FORMATS)
            )
        serialiser = RESULT_FORMATS[fmt]
        if fmt == "table":
            return format_table(result, base) + "\n"
        if result.type == "ASK" and fmt in ("csv", "tsv"):
            raise InputError(f"format {fmt!r} does not fit an ASK query; use table, json or xml")
        if fmt == "tsv":
            return format_tsv(result)
        assert serialiser is not None
        data = result.serialize(format=serialiser)
        return data.decode("utf-8") if isinstance(data, bytes) else str(data)
    fmt = fmt or "turtle"
    if fmt not in GRAPH_FORMATS:
        raise InputError(
            f"format {fmt!r} does not fit a {result.type} query; use one of "
            + ", ".join(GRAPH_FORMATS)
        )
    graph = Graph(bind_namespaces="none")
    for prefix, ns in prefixes_for(base).items():
        graph.bind(prefix, ns)
    for triple in result.graph or []:
        graph.add(triple)
    return graph.serialize(format=GRAPH_FORMATS[fmt])


def query_dist(settings: Settings, text: str, fmt: str | None = None) -> str:
    """Run a SPARQL query against the built ``dist/`` of a project.

    Args:
        settings: Where ``dist/`` is, and the base.
        text: The query.
        fmt: The output format (see :func:`run_query`).

    Returns:
        The serialised result.

    Raises:
        NotFound: There is no built dataset.
        QuerySyntaxError: The query does not parse.
        InputError: The format does not fit the query form.
    """
    return run_query(load_dataset(settings.dist_dir), text, fmt, settings.base)
