r"""The read-only query policy, checked on the parsed query before any evaluation.

This service answers SPARQL 1.1 queries (https://www.w3.org/TR/sparql11-query/)
over its own dataset and nothing else, whatever the backend would allow:

- updates of every kind (https://www.w3.org/TR/sparql11-update/) are refused (403);
- ``SERVICE`` (https://www.w3.org/TR/sparql11-federated-query/) is refused (403),
  so no request leaves the server;
- a dataset (``FROM``, ``FROM NAMED``, or the protocol's ``default-graph-uri`` and
  ``named-graph-uri``, https://www.w3.org/TR/sparql11-protocol/#dataset) may only
  name graphs of this dataset (403 otherwise), so no remote graph is loaded.

The query is parsed and translated to algebra with rdflib; the policy walks that
algebra. For the rare query rdflib cannot parse (syntax only Oxigraph knows, or a
malformed one), a SPARQL lexer — strings, IRIs and comments skipped, ``\u``
escapes decoded — refuses any ``SERVICE`` or ``FROM`` keyword and any update
operation, and the engine's parser then has the last word on syntax.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from diplokg.errors import Forbidden

#: Keywords that start an update operation (SPARQL 1.1 Update §3).
UPDATE_KEYWORDS = frozenset(
    {"insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy", "with"}
)

QUERY_FORMS = {
    "SelectQuery": "select",
    "AskQuery": "ask",
    "ConstructQuery": "construct",
    "DescribeQuery": "describe",
}


@dataclass(frozen=True)
class QueryPlan:
    """What the policy learnt about a query.

    Attributes:
        form: ``select``, ``ask``, ``construct``, ``describe``, or ``None`` when
            only the engine can parse the query.
        from_default: IRIs of ``FROM`` clauses.
        from_named: IRIs of ``FROM NAMED`` clauses.
        syntax_error: When rdflib could not parse the query: line, column and
            message of its error, used if the engine rejects the query too.
        max_rows: The query's own top-level ``LIMIT``, when it has one.
    """

    form: str | None
    from_default: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    syntax_error: tuple[int, int, str] | None = None
    max_rows: int | None = None


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a query runs on.

    Attributes:
        union: Whether the default graph is the union of all named graphs (no
            dataset given); then the other fields are empty.
        default: Graph IRIs merged into the default graph.
        named: Graph IRIs available to ``GRAPH``.
    """

    union: bool
    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()


def _walk(node: object) -> Iterator[object]:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple) or type(item).__name__ == "ParseResults":
            stack.extend(item)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=512)
def inspect_query(sparql: str) -> QueryPlan:
    """Check a query against the policy and say what it is.

    Args:
        sparql: The query text.

    Returns:
        Its form and dataset clauses.

    Raises:
        Forbidden: An update, ``SERVICE``, or something the policy cannot clear.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    syntax_error = None
    try:
        tree = parseQuery(sparql)
    except ParseException as error:
        tree = None
        syntax_error = (error.lineno, error.col, _found(error))
    except (RecursionError, ValueError, TypeError):
        tree = None
    if tree is None:
        try:
            parseUpdate(sparql)
        except (ParseException, RecursionError, ValueError, TypeError):
            return _lexical_check(sparql, syntax_error)
        raise Forbidden(
            "this is a SPARQL update; this service is read-only and answers queries only"
        )
    try:
        algebra: object = translateQuery(tree).algebra
    except Exception:  # rdflib cannot translate some valid queries; walk the tree
        algebra = tree
    names = {getattr(n, "name", "") for n in _walk(algebra)}
    if "ServiceGraphPattern" in names:
        raise Forbidden("SERVICE is not allowed: this service makes no outbound requests")
    clauses = getattr(tree[1], "datasetClause", None) or []
    default = tuple(str(c["default"]) for c in clauses if "default" in c)
    named = tuple(str(c["named"]) for c in clauses if "named" in c)
    top: Any = getattr(algebra, "p", None)
    length = top.get("length") if getattr(top, "name", "") == "Slice" else None
    max_rows = int(length) if isinstance(length, int) else None
    return QueryPlan(QUERY_FORMS.get(tree[1].name), default, named, max_rows=max_rows)


_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
    | (?P<string>'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f\u2040]+)
    | (?P<pname>[\w.-]*:[\w.:%-]*)
    | (?P<word>[A-Za-z_]\w*)
    | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def keywords(sparql: str) -> list[str]:
    r"""The keywords of a query, lower case, in order (strings, IRIs, comments skipped).

    Args:
        sparql: The query text; ``\u`` escapes are decoded first, as SPARQL says.

    Returns:
        The bare words of the query.
    """
    return [
        m.group("word").lower() for m in _TOKEN.finditer(_unescape(sparql)) if m.lastgroup == "word"
    ]


def _found(error: Exception) -> str:
    line = str(getattr(error, "line", ""))
    col = int(getattr(error, "col", 1))
    rest = line[col - 1 :].split()
    if not rest:
        return "the query ends too early (an unclosed brace or bracket?)"
    return f"the query does not parse from {rest[0][:40]!r} on"


def _lexical_check(sparql: str, syntax_error: tuple[int, int, str] | None) -> QueryPlan:
    words = keywords(sparql)
    head = [w for w in words if w not in {"prefix", "base"}]
    if head and head[0] in UPDATE_KEYWORDS:
        raise Forbidden("this is a SPARQL update; this service is read-only")
    if "service" in words:
        raise Forbidden("SERVICE is not allowed: this service makes no outbound requests")
    if "from" in words:
        raise Forbidden("FROM could not be checked in this query; name graphs with GRAPH instead")
    return QueryPlan(None, syntax_error=syntax_error)


def resolve_dataset(
    plan: QueryPlan,
    default_graph_uris: Sequence[str],
    named_graph_uris: Sequence[str],
    graphs: Sequence[str] | frozenset[str],
) -> Dataset:
    """Decide the dataset of a query; protocol parameters override ``FROM`` clauses.

    Args:
        plan: The checked query.
        default_graph_uris: The protocol's ``default-graph-uri`` values.
        named_graph_uris: The protocol's ``named-graph-uri`` values.
        graphs: The IRIs of the named graphs this store holds.

    Returns:
        The dataset to evaluate on.

    Raises:
        Forbidden: A graph IRI that is not one of this dataset's graphs.
    """
    known = frozenset(graphs)
    named_anywhere = [*plan.from_default, *plan.from_named, *default_graph_uris, *named_graph_uris]
    outside = sorted({iri for iri in named_anywhere if iri not in known})
    if outside:
        raise Forbidden(
            "graph(s) not in this dataset: "
            + ", ".join(f"<{iri}>" for iri in outside)
            + "; this service loads no remote graphs. Its graphs: "
            + ", ".join(f"<{g}>" for g in sorted(known))
        )
    if default_graph_uris or named_graph_uris:
        return Dataset(False, tuple(default_graph_uris), tuple(named_graph_uris))
    if plan.from_default or plan.from_named:
        return Dataset(False, plan.from_default, plan.from_named)
    return Dataset(True)
