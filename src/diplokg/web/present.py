"""Results as a table for the query page: cells with text, a link and a tooltip.

IRIs under the dataset namespace link to the same path on this server (the
entity pages, e.g. ``/id/azerbaijan``); other http(s) IRIs link to themselves.
Nothing here escapes: the templates do (Jinja autoescaping).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from diplokg.namespaces import prefixes_for
from diplokg.store import QueryResult

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class Cell:
    """One table cell.

    Attributes:
        text: What is shown.
        kind: ``uri``, ``bnode``, ``literal``, ``triple`` or ``empty``.
        href: Where it links, if anywhere.
        title: Full form shown on hover (the IRI, or the datatype / language).
    """

    text: str
    kind: str
    href: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Table:
    """A result as rows of cells (``boolean`` set for ASK)."""

    columns: list[str]
    rows: list[list[Cell]]
    boolean: bool | None = None


def local_path(iri: str, base: str) -> str | None:
    """The path on this server that serves an IRI of the dataset, if it is one."""
    if base.endswith("/") and iri.startswith(base) and len(iri) > len(base):
        return "/" + iri[len(base) :]
    return None


def _short(iri: str, prefixes: dict[str, str]) -> str:
    for prefix, ns in prefixes.items():
        local = iri[len(ns) :]
        if iri.startswith(ns) and local and all(c.isalnum() or c in "-_." for c in local):
            return f"{prefix}:{local}"
    return iri


def _iri_cell(iri: str, base: str, prefixes: dict[str, str]) -> Cell:
    href = local_path(iri, base)
    if href is None and iri.startswith(("http://", "https://")):
        href = iri
    return Cell(_short(iri, prefixes), "uri", href, iri)


def cell(term: dict[str, Any] | None, base: str, prefixes: dict[str, str]) -> Cell:
    """Turn a SPARQL JSON term into a cell."""
    if term is None:
        return Cell("", "empty")
    kind, value = term.get("type"), term.get("value")
    if kind == "uri":
        return _iri_cell(str(value), base, prefixes)
    if kind == "bnode":
        return Cell(f"_:{value}", "bnode")
    if kind == "triple" and isinstance(value, dict):
        parts = [
            cell(value.get(k), base, prefixes).text for k in ("subject", "predicate", "object")
        ]
        return Cell("<< " + " ".join(parts) + " >>", "triple")
    title = None
    if "xml:lang" in term:
        title = "@" + str(term["xml:lang"])
    elif "datatype" in term:
        title = _short(str(term["datatype"]), prefixes)
    return Cell(str(value), "literal", None, title)


def _ox_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}


def result_table(result: QueryResult, base: str) -> Table:
    """Lay out a result (SPARQL JSON, or N-Triples for graphs) as a table.

    Args:
        result: The serialised result.
        base: The dataset namespace (decides which IRIs are local).

    Returns:
        The table.
    """
    prefixes = prefixes_for(base)
    if result.form == "ask":
        return Table([], [], bool(json.loads(result.body)["boolean"]))
    if result.form == "select":
        doc = json.loads(result.body)
        columns = list(doc["head"].get("vars", []))
        rows = [
            [cell(binding.get(c), base, prefixes) for c in columns]
            for binding in doc["results"]["bindings"]
        ]
        return Table(columns, rows)
    triples = ox.parse(result.body, ox.RdfFormat.N_TRIPLES)
    rows = [
        [cell(_ox_term(getattr(t, k)), base, prefixes) for k in ("subject", "predicate", "object")]
        for t in triples
    ]
    return Table(["subject", "predicate", "object"], rows)
