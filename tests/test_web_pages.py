"""The home page, the timeline and every HTML page: content, language, headings, alternatives.

The structural checks parse each page with :mod:`html.parser`; the browser checks
load the real server's pages in Debian's headless Chromium (no JavaScript needed),
read the DOM it built and take a screenshot.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, VOID

from diplokg.namespaces import OA
from tests.linked import BASE, ID
from tests.live import LiveServer

DKG = BASE + "ontology#"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

PAGES = [
    "/",
    "/timeline",
    "/ontology",
    "/shapes",
    "/validation",
    "/.well-known/void",
    "/dumps/",
    "/doc/azerbaijan",
    "/doc/hajiyev-visit-to-nato-headquarters-2020-01-20",
    "/doc/azernews-2020-01-21-azerbaijan-nato",
    "/doc/azernews-2020-01-21-azerbaijan-nato-ev05",
    "/doc/nato-russia-military-meeting-in-azerbaijan",
    "/graph/inferred",
]


class Structure(HTMLParser):
    """What the checks need from a page: lang, headings, images, SVGs, scripts, links."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.headings: list[int] = []
        self.images: list[dict[str, str | None]] = []
        self.svgs: list[dict[str, str | None]] = []
        self.svg_titles = 0
        self.svg_descs = 0
        self.in_svg = 0
        self.scripts = 0
        self.external: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "img":
            self.images.append(a)
        if tag == "svg":
            self.svgs.append(a)
            self.in_svg += 1
        if self.in_svg and tag == "title":
            self.svg_titles += 1
        if self.in_svg and tag == "desc":
            self.svg_descs += 1
        if tag == "script":
            self.scripts += 1
        if tag in ("script", "img", "iframe") and (a.get("src") or "").startswith(("http", "//")):
            self.external.append(str(a.get("src")))
        if tag == "link" and str(a.get("href", "")).startswith(("http", "//")):
            self.external.append(str(a.get("href")))
        if "id" in a and a["id"] is not None:
            self.ids.append(a["id"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.in_svg -= 1


def structure(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_language_headings_in_order_and_text_alternatives(
    linked_client: FlaskClient, path: str
) -> None:
    r = linked_client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 200, path
    assert r.mimetype == "text/html"
    page = structure(r.text)
    assert page.lang == "en"
    assert page.headings, "no headings"
    assert page.headings[0] == 1
    assert page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"heading h{before} followed by h{after}"
    assert all(img.get("alt") for img in page.images)
    for svg in page.svgs:
        assert svg.get("role") == "img"
        assert svg.get("aria-labelledby")
    assert page.svg_titles >= len(page.svgs)
    assert page.svg_descs >= len(page.svgs)
    assert page.scripts == 0  # works without JavaScript
    assert not page.external  # no CDN: everything is served here
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"


def test_everything_is_escaped(linked_client: FlaskClient) -> None:
    """Labels and text from the data are escaped, never interpreted as markup."""
    page = linked_client.get("/doc/o'brien", headers={"Accept": "text/html"}).text
    assert "An apostrophe" in page
    assert "o&#39;brien" in page
    text = linked_client.get("/doc/azernews-2020-01-21-azerbaijan-nato").text
    assert "<script" not in text
    marked = linked_client.get("/doc/x(1)", headers={"Accept": "text/html"}).text
    assert "<script>alert" not in marked
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in marked
    assert "<h1>Parentheses &lt;i&gt;and markup&lt;/i&gt;</h1>" in marked
    home = linked_client.get("/", headers={"Accept": "text/html"}).text
    assert "<i>and markup</i>" not in home
    assert "Parentheses &lt;i&gt;and markup&lt;/i&gt;" in home


def test_home_page_says_what_and_counts_and_ways_in(
    linked_client: FlaskClient, linked_union: Graph, linked_entities: list[URIRef]
) -> None:
    r = linked_client.get("/", headers={"Accept": "text/html"})
    page = r.text
    assert "knowledge graph" in page
    assert 'href="/id/azernews-2020-01-21-azerbaijan-nato"' in page  # its sources
    store = linked_client.application.extensions["diplokg"]["store"]
    assert f"<strong>{store.triple_count()}</strong> triples" in page
    facts = set(linked_union.subjects(RDF.type, URIRef(DKG + "Fact")))
    assert f"<strong>{len(facts)}</strong> facts" in page
    annotations = set(linked_union.subjects(RDF.type, OA.Annotation))
    assert f"<strong>{len(annotations)}</strong> evidence quotes" in page
    for href in ("/sparql", "/ontology", "/timeline", "/dumps/", "/.well-known/void"):
        assert f'href="{href}"' in page
    # the entity index links every typed entity
    typed = {s for s in linked_entities if (s, RDF.type, None) in linked_union}
    missing = [s for s in typed if f'href="/id/{s[len(ID) :]}"' not in page.replace("%20", " ")]
    assert len(missing) <= 4, missing  # the escaping fixture's IRIs are written encoded
    # each class's section is where its VoID partition {base}#class-… resolves
    void = Graph().parse(
        data=linked_client.get("/", headers={"Accept": "text/turtle"}).data, format="turtle"
    )
    state = URIRef(DKG + "State")
    part = next(p for p in void.subjects(VOID["class"], state))
    assert isinstance(part, URIRef), part
    assert f'id="{part.split("#", 1)[1]}"' in page
    assert 'id="build"' in page  # {base}#build, the build activity
    for prop_part in void.objects(URIRef(BASE), VOID.propertyPartition):
        assert isinstance(prop_part, URIRef), prop_part
        assert f'id="{prop_part.split("#", 1)[1]}"' in page


def test_home_gives_void_to_rdf_clients(linked_client: FlaskClient) -> None:
    r = linked_client.get("/", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.data, format="turtle")
    assert g.value(URIRef(BASE), VOID.uriSpace) == Literal(ID)
    assert "Accept" in r.vary


def _dated_events(union: Graph) -> set[URIRef]:
    out = set()
    for f in union.subjects(RDF.type, URIRef(DKG + "Fact")):
        for p in ("date", "startDate", "endDate"):
            v = union.value(f, URIRef(DKG + p))
            if v is not None and 1990 <= int(str(v)[:4]) <= 2020:
                assert isinstance(f, URIRef), f
                out.add(f)
    return out


def test_timeline_draws_every_dated_event_with_page_and_evidence(
    linked_client: FlaskClient, linked_union: Graph
) -> None:
    page = linked_client.get("/timeline").text
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "<title" in svg
    assert "<desc" in svg
    events = _dated_events(linked_union)
    assert len(events) >= 10
    for e in events:
        assert f'<a href="/id/{e[len(ID) :]}">' in svg, e
        evidence = set()
        for a in linked_union.subjects(OA.hasBody, e):
            assert isinstance(a, URIRef), a
            evidence.add(a)
        assert any(f'<a href="/id/{a[len(ID) :]}">' in svg for a in evidence), e
    assert "20 January tragedy" in svg
    years = re.findall(r">(\d{4})</text>", svg)
    assert years[0] == "1990"
    assert "2020" in years
    # the list beside it is in time order
    listed = re.findall(r"<li><span class=\"when\">([^<]+)</span>", page[page.index("</svg>") :])
    starts = [w.replace("since ", "").replace("until ", "")[:10] for w in listed]
    assert starts == sorted(starts)
    # a fact known only by its end is drawn where it ends
    assert "until 2018-01" in listed


def test_entity_page_content(linked_client: FlaskClient) -> None:
    page = linked_client.get("/doc/azerbaijan", headers={"Accept": "text/html"}).text
    assert "<h1>Azerbaijan</h1>" in page
    assert 'href="/ontology#State"' in page  # its type
    # facts grouped by property with human labels, inferred ones marked
    assert ">participated in</a>" in page
    assert 'class="badge inferred"' in page
    # verified Wikidata link
    assert 'href="http://www.wikidata.org/entity/Q227"' in page
    assert "verified: several independent country tables agree" in page
    # the evidence: the sentence with the quote highlighted
    assert "<mark>Azerbaijan actively supported the NATO-led" in page
    # events in time order
    events = page[page.index('id="h-events"') :]
    events = events[: events.index("</ol>")]
    dates = re.findall(r"<span class=\"when\">([^<]+)</span>", events)
    dated = [d for d in dates if d != "undated"]
    assert dated == sorted(dated)
    assert "1992-03" in dated
    # incoming links
    assert "Referenced by" in page


def test_quote_is_shown_inside_its_sentence(linked_client: FlaskClient) -> None:
    page = linked_client.get("/doc/hajiyev-visit-to-nato-headquarters-2020-01-20").text
    # the quote is part of a longer sentence: the rest of it is around the mark
    mark = "<mark>Hajiyev\u2019s visit to NATO Headquarters on 20 January"
    assert mark + "</mark>" in page
    before = page[: page.index(mark)]
    assert before.endswith("Azerbaijan-NATO partnership during ")  # the text as it is
    assert page[page.index(mark) :].startswith(mark + "</mark>.</p>")


def test_annotation_page_shows_its_quote(linked_client: FlaskClient) -> None:
    page = linked_client.get("/doc/azernews-2020-01-21-azerbaijan-nato-ev17").text
    assert "<mark>Azerbaijan actively supported" in page


# ------------------------------------------------------------ the browser


needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (.ci/run installs it)"
)


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True)


SCREENS = [
    ("/", ["DiploKG", "In numbers", "Entities by class", "Azerbaijan"]),
    ("/doc/azerbaijan", ["Azerbaijan", "Statements", "Evidence", "Wikidata", "inferred"]),
    ("/ontology", ["DiploKG ontology", "Class hierarchy", "participating state"]),
    ("/timeline", ["Timeline of the partnership", "20 January tragedy"]),
]


@needs_chromium
@pytest.mark.parametrize(("path", "texts"), SCREENS)
def test_headless_chromium_renders_the_page(
    linked_server: LiveServer, tmp_path: Path, path: str, texts: list[str]
) -> None:
    url = linked_server.url + path
    dom = chromium(["--dump-dom", url], tmp_path / "profile").stdout
    assert '<html lang="en">' in dom
    for text in texts:
        assert text in dom, text
    shot = tmp_path / "page.png"
    chromium(
        ["--window-size=1280,1600", "--hide-scrollbars", f"--screenshot={shot}", url],
        tmp_path / "profile",
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600)
    assert len(data) > 30_000  # a page with content, not a blank or error screen
    if path == "/timeline":
        assert "<svg" in dom
        assert dom.count("<circle") >= 10


def test_source_page_highlights_every_quote(
    linked_client: FlaskClient, linked_union: Graph
) -> None:
    source = URIRef(ID + "azernews-2020-01-21-azerbaijan-nato")
    page = linked_client.get("/doc/azernews-2020-01-21-azerbaijan-nato").text
    text = page[page.index('<div class="source-text">') :]
    text = text[: text.index("</div>")]
    targets = set(linked_union.subjects(OA.hasSource, source))
    annotations = {a for t in targets for a in linked_union.subjects(OA.hasTarget, t)}
    assert len(annotations) > 20
    for a in annotations:
        assert isinstance(a, URIRef), a
        assert f'href="/id/{a[len(ID) :]}"' in text, a
    plain = re.sub(r"<[^>]+>", "", text.split(">", 1)[1])
    assert "Hajiyev" in plain


def test_properties_sharing_a_label_are_told_apart(linked_client: FlaskClient) -> None:
    page = linked_client.get("/doc/hikmat-hajiyev", headers={"Accept": "text/html"}).text
    headers = re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a>', page)
    assert len(headers) == len(set(headers)), headers


def test_timeline_as_a_standalone_svg(linked_client: FlaskClient) -> None:
    import xml.etree.ElementTree as ET

    r = linked_client.get("/timeline.svg")
    assert r.status_code == 200
    assert r.mimetype == "image/svg+xml"
    root = ET.fromstring(r.data)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg"
    assert root.find(ns + "title") is not None
    assert root.find(ns + "desc") is not None
    links = [a.get("href") for a in root.iter(ns + "a")]
    assert "/id/20-january-tragedy" in links
    assert (
        linked_client.get("/timeline.svg", headers={"If-None-Match": r.headers["ETag"]}).status_code
        == 304
    )
