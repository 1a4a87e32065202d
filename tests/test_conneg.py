from __future__ import annotations

import pytest

from diplokg import conneg
from diplokg.conneg import GRAPH_FORMATS, HTML, RESULTS_FORMATS, negotiate, parse_accept, quality
from diplokg.errors import NotAcceptable

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def test_no_header_is_anything() -> None:
    assert parse_accept(None) == [conneg.MediaRange("*", "*", (), 1.0)]
    assert parse_accept("  ") == [conneg.MediaRange("*", "*", (), 1.0)]


def test_parse_q_values_and_parameters() -> None:
    ranges = parse_accept('text/turtle;q=0.5, application/ld+json;profile="a,b";q=0.9, */*;q=0')
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "turtle", 0.5),
        ("application", "ld+json", 0.9),
        ("*", "*", 0.0),
    ]
    assert ranges[1].params == (("profile", "a,b"),)


def test_malformed_elements_are_skipped_and_bad_q_is_zero() -> None:
    ranges = parse_accept("garbage, text/csv;q=abc, text/tsv;q=7")
    assert [(r.subtype, r.q) for r in ranges] == [("csv", 0.0), ("tsv", 1.0)]


def test_most_specific_range_decides() -> None:
    ranges = parse_accept("text/*;q=0.3, text/csv;q=0.7, */*;q=0.1")
    assert quality(ranges, "text/csv") == 0.7
    assert quality(ranges, "text/turtle") == 0.3
    assert quality(ranges, "application/json") == 0.1


def test_charset_parameter_matches_but_other_parameters_do_not() -> None:
    assert quality(parse_accept("text/csv;charset=utf-8"), "text/csv") == 1.0
    assert quality(parse_accept("text/csv;charset=latin1"), "text/csv") == 0.0
    assert quality(parse_accept("text/csv;header=absent"), "text/csv") == 0.0


@pytest.mark.parametrize(
    ("accept", "results", "graph"),
    [
        (None, "json", "turtle"),
        ("*/*", "json", "turtle"),
        ("application/json", "json", "jsonld"),
        ("application/sparql-results+xml", "xml", None),
        ("text/csv", "csv", None),
        ("text/tab-separated-values", "tsv", None),
        ("application/n-triples", None, "nt"),
        ("application/rdf+xml, application/sparql-results+xml", "xml", "rdfxml"),
        ("application/xml", "xml", "rdfxml"),
        ("text/csv;q=0.4, text/tab-separated-values;q=0.8", "tsv", None),
        ("application/*", "json", "turtle"),  # application/x-turtle alias
        ("text/*", "xml", "turtle"),  # text/xml alias
        ("image/png", None, None),
        ("application/trig", None, "trig"),
        ("application/n-quads", None, "nq"),
    ],
)
def test_negotiate(accept: str | None, results: str | None, graph: str | None) -> None:
    ranges = parse_accept(accept)
    got_results = negotiate(ranges, RESULTS_FORMATS)
    got_graph = negotiate(ranges, GRAPH_FORMATS)
    assert (got_results.name if got_results else None) == results
    assert (got_graph.name if got_graph else None) == graph


def test_q_zero_excludes() -> None:
    ranges = parse_accept("application/sparql-results+json;q=0, */*")
    assert negotiate(ranges, RESULTS_FORMATS) is not None
    assert negotiate(ranges, RESULTS_FORMATS).name == "xml"  # type: ignore[union-attr]


def test_browser_prefers_html() -> None:
    ranges = parse_accept(BROWSER)
    assert conneg.format_quality(ranges, HTML) == 1.0
    best = negotiate(ranges, RESULTS_FORMATS)
    assert best is not None
    assert conneg.format_quality(ranges, best) < 1.0


@pytest.mark.parametrize(
    ("name", "expected"),
    [("json", "json"), ("srj", "json"), ("text/csv", "csv"), ("TSV", "tsv"), ("xml", "xml")],
)
def test_by_name_results(name: str, expected: str) -> None:
    assert conneg.by_name(name, RESULTS_FORMATS).name == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("ttl", "turtle"), ("json", "jsonld"), ("xml", "rdfxml"), ("n-triples", "nt")],
)
def test_by_name_graphs(name: str, expected: str) -> None:
    assert conneg.by_name(name, GRAPH_FORMATS).name == expected


def test_by_name_unknown_lists_offers() -> None:
    with pytest.raises(NotAcceptable, match="application/sparql-results\\+json"):
        conneg.by_name("pdf", RESULTS_FORMATS)


@pytest.mark.parametrize(
    ("accept", "kind"),
    [
        (None, "json"),
        ("*/*", "json"),
        ("text/plain", "text"),
        (BROWSER, "html"),
        ("application/sparql-results+xml", "xml"),
        ("application/sparql-results+json", "json"),
        ("text/csv", "text"),
        ("image/png", "json"),
    ],
)
def test_error_kind(accept: str | None, kind: str) -> None:
    assert conneg.error_kind(parse_accept(accept)) == kind


def test_content_type_says_utf8_for_text() -> None:
    assert RESULTS_FORMATS[0].content_type == "application/sparql-results+json; charset=utf-8"
    assert conneg.by_name("csv", RESULTS_FORMATS).content_type == "text/csv; charset=utf-8"
