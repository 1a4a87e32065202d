from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from diplokg.errors import FileSyntaxError, NotFound
from diplokg.loading import input_files, load_project, parse_turtle, rewrite_base, rewrite_term
from diplokg.namespaces import SCHEMA, XSD, graph_iri

from .conftest import INVALID, PROJECT, SOURCE_IRI, settings_for

BASE = "https://w3id.org/diplokg/"
OTHER = "http://example.org/kg/"


def test_named_graphs_are_assembled() -> None:
    project = load_project(settings_for(PROJECT))
    assert sorted(project.graphs) == ["background", "facts/tiny-news", "ontology", "shapes"]
    for name, graph in project.graphs.items():
        assert graph.identifier == graph_iri(BASE, name)
        assert len(graph) > 0
    assert project.files["ontology"] == [
        Path("ontology/diplokg.ttl"),
        Path("ontology/alignment.ttl"),
    ]
    assert project.files["facts/tiny-news"] == [
        Path("data/sources/tiny-news.ttl"),
        Path("data/sources/tiny-news.txt"),
        Path("data/facts/tiny-news.ttl"),
    ]
    assert project.input_digest.startswith("sha256:")


def test_source_text_is_added_to_its_facts_graph_exactly() -> None:
    project = load_project(settings_for(PROJECT))
    facts = project.graphs["facts/tiny-news"]
    text = facts.value(URIRef(SOURCE_IRI), SCHEMA.text)
    expected = (PROJECT / "data/sources/tiny-news.txt").read_bytes().decode("utf-8")
    assert text == Literal(expected)
    assert (None, SCHEMA.text, None) not in project.graphs["background"]


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.ttl"
    shutil.copy(INVALID / "broken-syntax.ttl", path)
    with pytest.raises(FileSyntaxError) as info:
        parse_turtle(path)
    assert info.value.path == path
    assert info.value.line == 6
    assert str(info.value).startswith(f"{path}:6: syntax error: ")
    assert "A dot is expected" in str(info.value)
    assert "(column " in str(info.value)


def test_undeclared_prefix_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.ttl"
    path.write_text("@prefix ex: <http://e.org/> .\nex:a ex:b ex:c .\nex:a zz:b ex:c .\n")
    with pytest.raises(
        FileSyntaxError, match=r"p\.ttl:3: .*prefix zz: has not been declared \(column 6\)"
    ):
        parse_turtle(path)


def test_ill_typed_literal_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "t.ttl"
    path.write_text(
        '<http://e.org/a> <http://e.org/b> "soon"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
    )
    with pytest.raises(FileSyntaxError, match=r"ill-typed literal.*soon"):
        parse_turtle(path)


def test_missing_shapes_are_not_silently_skipped(project: Path) -> None:
    (project / "ontology/shapes/data.ttl").unlink()
    with pytest.raises(NotFound, match=r"shapes/data\.ttl: file not found"):
        load_project(settings_for(project))


def test_relative_iris_do_not_depend_on_the_checkout(project: Path) -> None:
    (project / "data/background/rel.ttl").write_text("<#x> <#p> <other> .\n")
    graph = load_project(settings_for(project)).graphs["background"]
    assert (
        URIRef(BASE + "data/background/rel.ttl#x"),
        URIRef(BASE + "data/background/rel.ttl#p"),
        URIRef(BASE + "data/background/other"),
    ) in graph


def test_rewrite_term() -> None:
    assert rewrite_term(URIRef(BASE + "id/x"), BASE, OTHER) == URIRef(OTHER + "id/x")
    assert rewrite_term(URIRef("https://schema.org/x"), BASE, OTHER) == URIRef(
        "https://schema.org/x"
    )
    uri = Literal(BASE + "ontology#", datatype=XSD.anyURI)
    assert rewrite_term(uri, BASE, OTHER) == Literal(OTHER + "ontology#", datatype=XSD.anyURI)
    # A string that merely mentions the base is text, not an IRI.
    assert rewrite_term(Literal(BASE), BASE, OTHER) == Literal(BASE)


def test_load_with_another_base_rewrites_every_graph() -> None:
    project = load_project(settings_for(PROJECT, base=OTHER))
    for name, graph in project.graphs.items():
        assert graph.identifier == URIRef(f"{OTHER}graph/{name}")
        terms = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
        assert not {t for t in terms if t.startswith(BASE)}, name
    assert project.graphs["facts/tiny-news"].value(URIRef(OTHER + "id/tiny-news"), SCHEMA.text)


def test_rewrite_base_same_base_is_identity() -> None:
    graph = parse_turtle(PROJECT / "data/facts/tiny-news.ttl")
    assert rewrite_base(graph, BASE, BASE) is graph


def test_blank_node_labels_are_local_to_their_file(tmp_path: Path) -> None:
    one, two = tmp_path / "one.ttl", tmp_path / "two.ttl"
    one.write_text("_:x <http://e.org/p> 1 .\n")
    two.write_text("_:x <http://e.org/p> 2 .\n")
    graph = parse_turtle(one)
    parse_turtle(two, into=graph)
    assert len(set(graph.subjects())) == 2


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.ttl"
    path.write_bytes('<http://e.org/a> <http://e.org/b> "café" .\n'.encode("latin-1"))
    with pytest.raises(FileSyntaxError, match=r"latin1\.ttl:1: .*UTF-8"):
        parse_turtle(path)


def test_relative_iris_resolve_against_the_canonical_base(tmp_path: Path) -> None:
    path = tmp_path / "rel.ttl"
    path.write_text("<a> <b> <#c> .\n")
    graph = parse_turtle(path, public_id="https://w3id.org/diplokg/data/rel.ttl")
    base = "https://w3id.org/diplokg/data/"
    assert set(graph) == {(URIRef(base + "a"), URIRef(base + "b"), URIRef(base + "rel.ttl#c"))}


def _globbed(root: Path) -> list[Path]:
    """What the input files were when listed with glob patterns."""
    patterns = ["ontology/*.ttl", "ontology/shapes/*.ttl", "data/sources/*.txt"]
    patterns += ["data/sources/*.ttl", "data/facts/*.ttl", "data/background/*.ttl"]
    found = {p.relative_to(root) for pattern in patterns for p in root.glob(pattern)}
    return sorted(found, key=lambda p: p.as_posix())


def test_input_files_are_what_the_glob_patterns_give(project: Path) -> None:
    assert input_files(PROJECT) == _globbed(PROJECT)
    assert len(input_files(PROJECT)) > 5
    for odd in ("ontology/.hidden.ttl", "ontology/notes.md", "data/sources/x.ttl.bak"):
        (project / odd).write_text("")
    (project / "data/facts/a-directory.ttl").mkdir()
    shutil.rmtree(project / "data/background", ignore_errors=True)
    assert input_files(project) == _globbed(project)
    assert Path("ontology/.hidden.ttl") in input_files(project)
