"""``/.well-known/void`` and ``/dumps/``: the dataset's description and its dumps.

The VoID description (https://www.w3.org/TR/void/#well-known) is the build's
``graph/meta`` (counts, class and property partitions, ``void:uriSpace``, source,
endpoint), read from the store, plus what only the deployment knows: the last
build time (``dist/manifest.json``), the licence (the ontology's), the validation
report, and for every dump its media type (DCAT, https://www.w3.org/TR/vocab-dcat-3/),
length, compression and sha256 — the dump's ETag is that sha256 in quotes.

Dumps are the exact bytes ``diplokg build`` wrote, served as files with their
media type, a strong ETag, ``Last-Modified`` and byte ranges. The ``.gz`` files
are ``application/gzip`` downloads: they are never sent as ``Content-Encoding``
(which would make clients unpack them and change what the ETag names), and the
uncompressed dumps are sent as they are (identity).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template, send_file
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT

from diplokg import conneg
from diplokg.describe import sparql_term
from diplokg.errors import NotFound
from diplokg.namespaces import DCTERMS, RDF, RDFS, SCHEMA, SH, VOID, XSD, graph_iri
from diplokg.void import DUMP_FILES
from diplokg.web import rdfview

bp = Blueprint("void", __name__)

IANA = Namespace("https://www.iana.org/assignments/media-types/")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
MANIFEST = "manifest.json"
LAYOUT = "void-1"

#: Media type of each dump, before compression.
DUMP_TYPES = {
    "trig": "application/trig",
    "nq": "application/n-quads",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
}
GZIP = "application/gzip"


@dataclass(frozen=True)
class Dump:
    """One dump file of ``dist/``."""

    name: str
    path: Path
    media_type: str
    compressed: bool
    size: int
    sha256: str
    label: str

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` it is served with."""
        return self.media_type if self.compressed else f"{self.media_type}; charset=utf-8"

    @property
    def etag(self) -> str:
        """Its strong ETag (without quotes): the sha256 of its bytes."""
        return self.sha256


def manifest() -> dict[str, Any]:
    """The build manifest, or ``{}`` when ``dist/`` has none (e.g. a remote store)."""
    path = rdfview.settings().dist_dir / MANIFEST
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data


@functools.lru_cache(maxsize=64)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dumps() -> list[Dump]:
    """The dumps present in ``dist/``, in the build's order."""
    dist = rdfview.settings().dist_dir
    out = []
    for name in DUMP_FILES:
        path = dist / name
        try:
            stat = path.stat()
        except OSError:
            continue
        compressed = name.endswith(".gz")
        ext = name.removesuffix(".gz").rsplit(".", 1)[-1]
        inner = DUMP_TYPES[ext]
        fmt = next(f for f in conneg.GRAPH_FORMATS if inner in f.media_types)
        graphs = "all named graphs" if ext in ("trig", "nq") else "union of the graphs"
        label = f"{fmt.label} ({graphs})" + (", gzip" if compressed else "")
        out.append(
            Dump(
                name,
                path,
                GZIP if compressed else inner,
                compressed,
                stat.st_size,
                _sha256(str(path), stat.st_size, stat.st_mtime_ns),
                label,
            )
        )
    return out


def void_graph() -> Graph:
    """The VoID description: ``graph/meta`` from the store plus deployment facts."""
    settings = rdfview.settings()
    base = settings.base
    reader = rdfview.reader()
    meta = sparql_term(graph_iri(base, "meta"))
    g = reader.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {meta} {{ ?s ?p ?o }} }}")
    dataset = URIRef(base)
    ontology = sparql_term(URIRef(base + "ontology"))
    for row in reader.select(
        f"SELECT ?l WHERE {{ GRAPH {sparql_term(graph_iri(base, 'ontology'))} "
        f"{{ {ontology} {DCTERMS.license.n3()} ?l }} }}"
    ):
        g.add((dataset, DCTERMS.license, row["l"]))
    built = manifest().get("build_time")
    if isinstance(built, str):
        g.add((dataset, DCTERMS.modified, Literal(built, datatype=XSD.dateTime)))
    ids = Literal(str(reader.ns.id)).n3()
    for row in reader.select(
        "SELECT ?x (COUNT(*) AS ?n) WHERE { { ?x ?p ?o } UNION { ?s ?p ?x } "
        f"FILTER(isIRI(?x) && STRSTARTS(STR(?x), {ids})) }} GROUP BY ?x ORDER BY DESC(?n) ?x "
        "LIMIT 3"
    ):
        g.add((dataset, VOID.exampleResource, row["x"]))
    for feature in ("Turtle", "JSON-LD", "N-Triples", "RDF_XML", "TriG", "N-Quads"):
        g.add((dataset, VOID.feature, FORMATS[feature]))
    report = URIRef(base + "validation")
    g.add((dataset, RDFS.seeAlso, report))
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, DCTERMS.title, Literal("SHACL validation report of the dataset", lang="en")))
    for dump in dumps():
        node = URIRef(f"{base}dumps/{dump.name}")
        g.add((dataset, VOID.dataDump, node))
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCTERMS.title, Literal(dump.label, lang="en")))
        g.add((node, DCTERMS.format, Literal(dump.media_type)))
        g.add((node, DCAT.byteSize, Literal(dump.size, datatype=XSD.nonNegativeInteger)))
        g.add((node, SCHEMA.sha256, Literal(dump.sha256)))
        g.add((node, RDFS.comment, Literal(f'Served with ETag "{dump.etag}".', lang="en")))
        inner = DUMP_TYPES[dump.name.removesuffix(".gz").rsplit(".", 1)[-1]]
        g.add((node, DCAT.mediaType, IANA[inner]))
        g.add((node, DCAT.downloadURL, node))
        if dump.compressed:
            g.add((node, DCAT.compressFormat, IANA[GZIP]))
    return g


def _void_tag(fmt: conneg.Format) -> str:
    files = tuple((d.name, d.sha256) for d in dumps())
    built = manifest().get("build_time")
    return rdfview.etag(rdfview.store().version, LAYOUT, fmt.name, files, built)


def void_response(fmt: conneg.Format) -> Response:
    """The VoID description in an RDF format, or as a page."""
    tag = _void_tag(fmt)
    cached = rdfview.not_modified(tag)
    if cached is not None:
        return cached
    g = void_graph()
    links = rdfview.alternates("/.well-known/void", rdfview.DOCUMENT_FORMATS)
    if fmt.kind == "page":
        turtle = rdfview.serialise(g, rdfview.RDF_FORMATS[0]).decode("utf-8")
        html = render_template(
            "ld_void.html",
            turtle=turtle,
            dumps=dumps(),
            manifest=manifest(),
            alternates=links[1:],
        )
        return rdfview.finish(html, fmt, tag, links)
    return rdfview.finish(rdfview.serialise(g, fmt), fmt, tag, links)


@bp.route("/.well-known/void", methods=["GET"])
@bp.route("/.well-known/void.<ext>", methods=["GET"])
def void(ext: str | None = None) -> Response:
    """The VoID description, negotiated (Turtle for ``*/*``-less RDF clients, HTML for browsers)."""
    return void_response(rdfview.choose(rdfview.DOCUMENT_FORMATS, ext))


@bp.route("/dumps/", methods=["GET"])
def index() -> Response:
    """The list of dumps with their media types, sizes and checksums."""
    files = dumps()
    tag = rdfview.etag(LAYOUT, tuple((d.name, d.sha256) for d in files))
    cached = rdfview.not_modified(tag)
    if cached is not None:
        return cached
    html = render_template("ld_dumps.html", dumps=files, manifest=manifest())
    return rdfview.finish(html, conneg.HTML, tag)


@bp.route("/dumps/<name>", methods=["GET"])
def dump(name: str) -> Response:
    """One dump, byte for byte, with its media type and a strong ETag (its sha256)."""
    found = next((d for d in dumps() if d.name == name), None)
    if found is None:
        known = ", ".join(DUMP_FILES)
        raise NotFound(f"no dump {name!r}; the dumps are: {known}")
    response = send_file(
        found.path,
        mimetype=found.content_type,
        as_attachment=found.compressed,
        download_name=found.name,
        etag=found.etag,
        conditional=True,
        max_age=300,
    )
    response.headers["Content-Type"] = found.content_type
    return response
