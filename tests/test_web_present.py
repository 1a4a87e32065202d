from __future__ import annotations

from pathlib import Path

from diplokg.store import QueryResult
from diplokg.web.examples import load_examples
from diplokg.web.present import cell, local_path, result_table

BASE = "https://w3id.org/diplokg/"
PREFIXES = {"id": BASE + "id/", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}


def test_local_path() -> None:
    assert local_path(BASE + "id/azerbaijan", BASE) == "/id/azerbaijan"
    assert local_path(BASE + "ontology#Visit", BASE) == "/ontology#Visit"
    assert local_path(BASE, BASE) is None
    assert local_path("http://www.wikidata.org/entity/Q227", BASE) is None


def test_cells() -> None:
    c = cell({"type": "uri", "value": BASE + "id/nato"}, BASE, PREFIXES)
    assert (c.text, c.href, c.title) == ("id:nato", "/id/nato", BASE + "id/nato")
    c = cell({"type": "uri", "value": "http://www.wikidata.org/entity/Q7184"}, BASE, PREFIXES)
    assert c.href == "http://www.wikidata.org/entity/Q7184"
    c = cell({"type": "uri", "value": "urn:isbn:123"}, BASE, PREFIXES)
    assert c.href is None
    c = cell({"type": "literal", "value": "NATO", "xml:lang": "en"}, BASE, PREFIXES)
    assert (c.text, c.title, c.href) == ("NATO", "@en", None)
    c = cell(
        {"type": "literal", "value": "94", "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
        BASE,
        PREFIXES,
    )
    assert c.title == "http://www.w3.org/2001/XMLSchema#integer"
    assert cell({"type": "bnode", "value": "b0"}, BASE, PREFIXES).text == "_:b0"
    assert cell(None, BASE, PREFIXES).kind == "empty"


def test_result_tables() -> None:
    ask = result_table(QueryResult("ask", "json", b'{"head":{},"boolean":false}', 1, False), BASE)
    assert ask.boolean is False
    body = b'{"head":{"vars":["s","o"]},"results":{"bindings":[{"s":{"type":"uri","value":"https://w3id.org/diplokg/id/x"}}]}}'
    select = result_table(QueryResult("select", "json", body, 1, False), BASE)
    assert select.columns == ["s", "o"]
    assert [c.kind for c in select.rows[0]] == ["uri", "empty"]
    nt = b'<https://w3id.org/diplokg/id/x> <http://www.w3.org/2000/01/rdf-schema#label> "x"@en .\n'
    graph = result_table(QueryResult("construct", "nt", nt, 1, False), BASE)
    assert graph.columns == ["subject", "predicate", "object"]
    assert graph.rows[0][1].text == "rdfs:label"


def test_examples(tmp_path: Path) -> None:
    assert load_examples(tmp_path) == []
    (tmp_path / "queries" / "checks").mkdir(parents=True)
    (tmp_path / "queries" / "cq02-b.rq").write_text("# Question:  Who?  \nASK {}\n")
    (tmp_path / "queries" / "cq01-a.rq").write_text("# no question line\nASK {}\n")
    (tmp_path / "queries" / "checks" / "x-violation.rq").write_text("# Question: no\nASK {}\n")
    examples = load_examples(tmp_path)
    assert [(e.id, e.question) for e in examples] == [("cq01-a", "cq01-a"), ("cq02-b", "Who?")]
    assert examples[1].query.endswith("ASK {}\n")
