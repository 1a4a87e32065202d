from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from diplokg.errors import ProvenanceError
from diplokg.loading import load_project
from diplokg.provenance import check_evidence, check_provenance, suggest_offsets

from .conftest import PROJECT, add_invalid, settings_for

BASE = "https://w3id.org/diplokg/"
SRC = URIRef(BASE + "id/src")
TEXT = "Flag 🇦🇿 first. Hajiyev visited NATO. Then he left."
PREFIXES = """
@prefix id: <https://w3id.org/diplokg/id/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
"""


def annotation(exact: str, start: int, end: int, extra: str = "", name: str = "ev") -> str:
    return f"""
id:{name} a oa:Annotation ; oa:hasBody id:fact-{name} ;
    oa:hasTarget [ oa:hasSource id:src ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "{exact}" {extra} ] ,
                       [ a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} ] ] .
"""


def check(turtle: str, text: str = TEXT) -> tuple[list[str], int]:
    graph = Graph().parse(data=PREFIXES + turtle, format="turtle")
    report = check_evidence(graph, {SRC: text}, BASE)
    return report.problems, len(report.evidence)


def test_offsets_are_code_points() -> None:
    start = TEXT.index("Hajiyev")
    # The flag is two astral code points: UTF-16 or byte offsets would be larger.
    assert start == 15
    problems, found = check(annotation("Hajiyev visited NATO.", start, start + 21))
    assert problems == []
    assert found == 1


def test_mismatch_names_annotation_facts_and_both_texts() -> None:
    problems, found = check(annotation("Hajiyev visited NATO.", 14, 35))
    assert found == 0
    [problem] = problems
    assert problem.startswith("id:ev (evidence for id:fact-ev): the quote does not match")
    assert "at oa:start 14, oa:end 35" in problem
    assert 'quote (oa:exact):   "Hajiyev visited NATO."' in problem
    assert f'text at [14, 35): "{TEXT[14:35]}"' in problem
    assert "the quote occurs at: oa:start 15 ; oa:end 36" in problem


def test_quote_not_in_source() -> None:
    [problem] = check(annotation("Aliyev visited NATO.", 16, 36))[0]
    assert "the quote does not occur anywhere in the source" in problem


def test_offsets_out_of_range() -> None:
    [problem] = check(annotation("left.", 48, 99))[0]
    assert "offsets out of range" in problem
    assert f"need 0 <= start <= end <= {len(TEXT)}" in problem


def test_all_problems_are_collected() -> None:
    turtle = annotation("nope", 0, 4, name="a") + annotation("nada", 1, 5, name="b")
    problems, _ = check(turtle)
    assert [p.split(" ")[0] for p in problems] == ["id:a", "id:b"]


def test_missing_selector_body_and_source() -> None:
    turtle = """
id:no-body a oa:Annotation ; oa:hasTarget [ oa:hasSource id:src ;
    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "Flag" ] ,
                   [ a oa:TextPositionSelector ; oa:start 0 ; oa:end 4 ] ] .
id:no-position a oa:Annotation ; oa:hasBody id:f ; oa:hasTarget [ oa:hasSource id:src ;
    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "Flag" ] ] .
id:no-target a oa:Annotation ; oa:hasBody id:f .
id:elsewhere a oa:Annotation ; oa:hasBody id:f ; oa:hasTarget [ oa:hasSource id:other ;
    oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "Flag" ] ,
                   [ a oa:TextPositionSelector ; oa:start 0 ; oa:end 4 ] ] .
"""
    problems = "\n".join(check(turtle)[0])
    assert "id:no-body: the annotation has no oa:hasBody" in problems
    assert (
        "id:no-position (evidence for id:f): the target needs one oa:TextQuoteSelector" in problems
    )
    assert "has 1 and 0" in problems
    assert "id:no-target (evidence for id:f): the annotation has no oa:hasTarget" in problems
    assert "unknown source id:other (known: id:src)" in problems


def test_prefix_and_suffix_are_checked() -> None:
    start = TEXT.index("Hajiyev")
    ok = annotation("Hajiyev", start, start + 7, '; oa:prefix "first. " ; oa:suffix " visited"')
    assert check(ok)[0] == []
    bad = annotation("Hajiyev", start, start + 7, '; oa:prefix "last. "')
    [problem] = check(bad)[0]
    assert "oa:prefix does not match the text before the quote" in problem


def test_suggest_offsets_finds_every_occurrence() -> None:
    assert suggest_offsets("a b a", "a") == [(0, 1), (4, 5)]
    assert suggest_offsets("abc", "") == []


def test_fixture_project_evidence_checks_out() -> None:
    evidence = check_provenance(load_project(settings_for(PROJECT)))
    names = []
    for e in evidence:
        assert isinstance(e.annotation, URIRef), e.annotation
        names.append(e.annotation.split("/")[-1])
    assert sorted(names) == ["ev-mission", "ev-visit"]


def test_fixture_errors_are_reported_together(project: Path) -> None:
    add_invalid(project, "bad-quote.ttl")
    with pytest.raises(ProvenanceError) as info:
        check_provenance(load_project(settings_for(project)))
    message = str(info.value)
    assert message.startswith("provenance check failed: 2 problems")
    assert "id:ev-invented (evidence for id:visit-2021-02-01)" in message
    assert '"Ana Petrovic flew to Geneva"' in message
    assert '"Ana Petrović, head of the E"' in message
    assert "id:ev-shifted (evidence for id:montland, id:rivaria)" in message
    assert "the quote occurs at: oa:start 198 ; oa:end 232" in message
