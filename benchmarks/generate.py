"""Write a synthetic DiploKG project of about N triples, in the shape of the article's facts.

The project has the repository's ``ontology/`` (ontology, alignment and shapes, copied
as they are) and many small synthetic sources: ``data/sources/{id}.txt`` (a short
news text made of sentences), ``data/sources/{id}.ttl`` (its metadata, a
``dkg:NewsArticle``) and ``data/facts/{id}.ttl`` (its facts). Each source tells the
story the article tells, with other names: a person holding a post visits the
headquarters of an organisation on a date, holds talks on topics, a state's
accession, a partnership that dates back to it, the signing of a programme's
framework document, a political dialogue, a mission participation and a troop
contribution with its components that changes from one count to another.

Entities (states, organisations with their units and posts, people, missions,
programmes, topics, roles, news media) come from shared pools, so they recur across
sources as they would in a real deployment; every source declares, identically,
each entity it mentions. Facts are the source's own (their IRIs carry the source
id). Every fact and entity is the body of an ``oa:Annotation`` whose
``oa:exact`` quote and code-point offsets select the sentence that states it, so
the provenance check and the shapes pass.

The output is deterministic: the same ``--seed`` and size give the same bytes.

Usage::

    python -m benchmarks.generate TARGET --scale 10k|100k|1m   # or --triples N
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from rdflib import Graph

SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}

PREFIXES = """\
@prefix dkg:     <https://w3id.org/diplokg/ontology#> .
@prefix id:      <https://w3id.org/diplokg/id/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix oa:      <http://www.w3.org/ns/oa#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema:  <https://schema.org/> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
"""

_SYLLABLES = [
    "ka",
    "lo",
    "ri",
    "va",
    "ne",
    "mo",
    "ta",
    "si",
    "ru",
    "be",
    "da",
    "go",
    "li",
    "na",
    "po",
    "ze",
    "ar",
    "el",
    "in",
    "or",
    "ul",
]
_FIRST = [
    "Amir",
    "Elena",
    "Tomas",
    "Ioana",
    "Farid",
    "Nadia",
    "Pavel",
    "Leila",
    "Marek",
    "Sofia",
    "Rustam",
    "Ana",
    "Kerem",
    "Mira",
]
_MONTHS = "January February March April May June July August September October November December"
MONTHS = _MONTHS.split()
TOPICS = [
    "regional security",
    "energy security",
    "defence reforms",
    "interoperability",
    "cyber defence",
    "border management",
    "maritime security",
    "counter-terrorism",
    "crisis management",
    "arms control",
    "humanitarian demining",
    "civil preparedness",
    "military education",
    "peace support operations",
    "emerging security challenges",
    "practical cooperation",
]
ROLES = {"peacekeeper": "peacekeeper", "officer": "officer", "military-doctor": "military doctor"}


def slug(text: str) -> str:
    """Return a lower-case hyphenated slug of a name (ASCII letters and digits)."""
    table = str.maketrans("ăâîșțéöüçğı", "aaisteoucgi")
    out = []
    for ch in text.lower().translate(table):
        out.append(ch if ch.isascii() and ch.isalnum() else "-")
    return "-".join(part for part in "".join(out).split("-") if part)


def lit(text: str) -> str:
    """Return a Turtle string literal for a text."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\r", "\\r").replace("\t", "\\t") + '"'


def en(text: str) -> str:
    """Return an English-tagged Turtle literal."""
    return lit(text) + "@en"


def day(d: date) -> str:
    """Return an ``xsd:date`` literal."""
    return f'"{d.isoformat()}"^^xsd:date'


def month(d: date) -> str:
    """Return an ``xsd:gYearMonth`` literal."""
    return f'"{d.year:04d}-{d.month:02d}"^^xsd:gYearMonth'


def spoken(d: date) -> str:
    """Return a date as a news text writes it: ``4 May 1994``."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def spoken_month(d: date) -> str:
    """Return a month as a news text writes it: ``March 1992``."""
    return f"{MONTHS[d.month - 1]} {d.year}"


@dataclass
class Block:
    """One subject of a Turtle file: predicate → objects (already in Turtle)."""

    subject: str
    props: dict[str, list[str]] = field(default_factory=dict)

    def add(self, predicate: str, *objects: str) -> Block:
        """Add objects of a predicate; return the block, for chaining."""
        self.props.setdefault(predicate, []).extend(objects)
        return self

    def triples(self) -> int:
        """Count the block's triples."""
        return sum(len(v) for v in self.props.values())

    def turtle(self) -> str:
        """Write the block as Turtle."""
        lines = [f"{self.subject}"]
        items = list(self.props.items())
        for i, (p, objs) in enumerate(items):
            end = " ." if i == len(items) - 1 else " ;"
            lines.append(f"    {p} {' , '.join(objs)}{end}")
        return "\n".join(lines) + "\n"


class World:
    """The shared entity pools, drawn once from the seed."""

    def __init__(self, rng: random.Random, sources: int) -> None:
        self.rng = rng
        n_states = max(8, min(400, sources // 4))
        self.states = self._names(n_states, 2, 3, "ia")
        n_orgs = max(3, min(20, sources // 40))
        words = self._names(2 * n_orgs, 2, 2, "")
        self.orgs = [
            (f"{a} {b} Security Organisation", f"{a[0]}{b[0]}SO{i + 1}")
            for i, (a, b) in enumerate(zip(words[::2], words[1::2], strict=True))
        ]
        self.media = [f"{n} News" for n in self._names(max(3, min(50, sources // 20)), 2, 2, "")]
        self.people: dict[str, tuple[str, str]] = {}

    def _names(self, n: int, lo: int, hi: int, suffix: str) -> list[str]:
        seen: set[str] = set()
        names: list[str] = []
        while len(names) < n:
            k = self.rng.randint(lo, hi)
            name = "".join(self.rng.choice(_SYLLABLES) for _ in range(k)).capitalize() + suffix
            if slug(name) not in seen:
                seen.add(slug(name))
                names.append(name)
        return names

    def person(self, key: str) -> tuple[str, str]:
        """Return the name and IRI of the person who holds a post (or writes for a medium)."""
        if key not in self.people:
            first = self.rng.choice(_FIRST)
            last = "".join(self.rng.choice(_SYLLABLES) for _ in range(3)).capitalize() + "ev"
            if self.rng.random() < 0.2:
                last = last[:-2] + "ă"  # a non-ASCII letter: offsets count code points
            name = f"{first} {last}"
            self.people[key] = (name, f"id:{slug(name)}-{len(self.people) + 1}")
        return self.people[key]


class Source:
    """One synthetic source: its text, metadata and facts, built sentence by sentence."""

    def __init__(self, sid: str, published: date, medium: str) -> None:
        self.sid = sid
        self.published = published
        self.medium = medium
        self.author = ""
        self.text = ""
        self.blocks: dict[str, Block] = {}
        self.annotations: list[Block] = []

    def block(self, subject: str, cls: str, label: str) -> Block:
        """Declare (once) a subject with its class and English label."""
        if subject not in self.blocks:
            self.blocks[subject] = Block(subject).add("a", cls).add("rdfs:label", en(label))
        return self.blocks[subject]

    def sentence(self, words: str, bodies: list[str], sep: str = " ") -> None:
        """Append a sentence to the text and an annotation quoting it."""
        if self.text:
            self.text += sep
        start = len(self.text)
        self.text += words
        n = len(self.annotations) + 1
        ann = Block(f"id:{self.sid}-ev{n:02d}").add("a", "oa:Annotation")
        ann.add("oa:motivatedBy", "dkg:evidencing")
        ann.add("oa:hasBody", *dict.fromkeys(bodies))
        target = (
            f"[ a oa:SpecificResource ; oa:hasSource id:{self.sid} ;\n"
            f"        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact {lit(words)} ] ,\n"
            f"            [ a oa:TextPositionSelector ; oa:start {start} ;"
            f" oa:end {len(self.text)} ] ]"
        )
        ann.add("oa:hasTarget", target)
        self.annotations.append(ann)

    def triples(self) -> int:
        """Count the triples of the facts file (a target's blank nodes add 9 each)."""
        return sum(b.triples() for b in self.blocks.values()) + sum(
            a.triples() + 9 for a in self.annotations
        )


def _state(src: Source, name: str) -> str:
    iri = f"id:{slug(name)}"
    src.block(iri, "dkg:State", name)
    return iri


def _org(src: Source, org: tuple[str, str]) -> tuple[str, str]:
    name, acronym = org
    iri = f"id:{slug(acronym)}"
    hq = f"{iri}-headquarters"
    src.block(iri, "dkg:IntergovernmentalOrganisation", name).add("skos:altLabel", en(acronym))
    src.blocks[iri].props.setdefault("dkg:hasHeadquarters", [hq])
    src.block(hq, "dkg:Headquarters", f"{acronym} Headquarters")
    return iri, hq


def _post(src: Source, iri: str, label: str, post_in: str) -> str:
    src.block(iri, "dkg:Post", label).props.setdefault("dkg:postIn", [post_in])
    return iri


def _holding(src: Source, world: World, post: str, post_label: str) -> tuple[str, str, str]:
    name, person = world.person(post)
    src.block(person, "dkg:Person", name)
    holding = f"id:{src.sid}-{post[3:]}-holding"
    src.block(holding, "dkg:PostHolding", f"{name}, {post_label}")
    src.blocks[holding].add("dkg:holder", person).add("dkg:heldPost", post)
    src.blocks[holding].add("dkg:asOf", day(src.published))
    return name, person, holding


def _topic(src: Source, label: str) -> str:
    iri = f"id:topic-{slug(label)}"
    src.block("id:topics", "skos:ConceptScheme", "Topics of discussion")
    src.block(iri, "dkg:Topic", label).props.setdefault("skos:inScheme", ["id:topics"])
    return iri


def write_source(world: World, index: int) -> Source:
    """Draw one source's story and build its text, metadata and facts."""
    rng = world.rng
    published = date(2005, 1, 1) + timedelta(days=rng.randrange(15 * 365))
    sid = f"synth-{published.isoformat()}-{index:05d}"
    medium_name = world.media[index % len(world.media)]
    src = Source(sid, published, medium_name)
    visit_day = published - timedelta(days=rng.randint(1, 6))
    s_name = rng.choice(world.states)
    state = _state(src, s_name)
    org, hq = _org(src, rng.choice(world.orgs))
    acronym = next(o[1] for o in world.orgs if slug(o[1]) == org[3:])
    medium = f"id:{slug(medium_name)}"

    # Byline: the source and its author.
    author_name, author = world.person(medium)
    src.author = author
    src.block(author, "dkg:Person", author_name)
    src.block(medium, "dkg:NewsMedium", medium_name)
    src.sentence(f"date {published.isoformat()} By {author_name}", [f"id:{sid}", author])

    # The visit, by the head of a department of the state's ministry.
    ministry = f"id:ministry-of-foreign-affairs-of-{slug(s_name)}"
    src.block(ministry, "dkg:GovernmentBody", f"Ministry of Foreign Affairs of {s_name}")
    src.blocks[ministry].props.setdefault("dkg:bodyOf", [state])
    dept_label = rng.choice(["Security Policy", "NATO Affairs", "Euro-Atlantic Integration"])
    unit = f"{ministry}-{slug(dept_label)}-department"
    unit_label = f"{dept_label} Department of the Ministry of Foreign Affairs of {s_name}"
    src.block(unit, "dkg:OrganisationalUnit", unit_label)
    src.blocks[unit].props.setdefault("dkg:unitOf", [ministry])
    post_label = f"Head of the {unit_label}"
    post = _post(src, f"id:head-of-{unit[3:]}", post_label, unit)
    p_name, person, holding = _holding(src, world, post, post_label)
    visit = f"id:{sid}-visit"
    src.block(
        visit, "dkg:Visit", f"{p_name}'s visit to {acronym} Headquarters, {spoken(visit_day)}"
    )
    src.blocks[visit].add("dkg:visitor", person).add("dkg:visitedPlace", hq)
    src.blocks[visit].add("dkg:date", day(visit_day))
    src.sentence(
        f"{post_label} {p_name} visited {acronym} Headquarters on {spoken(visit_day)}.",
        [visit, holding, person, post, unit, ministry, state, hq, org],
        sep="\n\n",
    )

    # Talks with the organisation's deputy secretary general, on topics.
    dsg_label = f"{acronym} Deputy Secretary General"
    dsg_post = _post(src, f"{org}-deputy-secretary-general", dsg_label, org)
    q_name, q_person, q_holding = _holding(src, world, dsg_post, dsg_label)
    topics = rng.sample(TOPICS, 3)
    topic_iris = [_topic(src, t) for t in topics]
    talks = f"id:{sid}-talks"
    src.block(talks, "dkg:Talks", f"Talks between {p_name} and {acronym}, {spoken(visit_day)}")
    src.blocks[talks].add("dkg:participant", person, q_person).add("dkg:isSubEventOf", visit)
    src.blocks[talks].add("dkg:date", day(visit_day)).add("dkg:topic", *topic_iris)
    src.sentence(
        f"During the visit, {p_name} and {dsg_label} {q_name} discussed"
        f" {topics[0]}, {topics[1]} and {topics[2]}.",
        [talks, q_holding, q_person, dsg_post, *topic_iris],
    )

    # Accession and the partnership that dates back to it.
    joined = published - timedelta(days=rng.randint(3 * 365, 25 * 365))
    council_name = f"{acronym} Partnership Council"
    council = f"{org}-partnership-council"
    src.block(council, "dkg:ConsultativeCouncil", council_name)
    accession = f"id:{sid}-accession"
    src.block(
        accession, "dkg:Accession", f"{s_name} joins the {council_name}, {spoken_month(joined)}"
    )
    src.blocks[accession].add("dkg:joiningParty", state).add("dkg:joinedOrganisation", council)
    src.blocks[accession].add("dkg:date", month(joined))
    partnership = f"id:{sid}-partnership"
    src.block(partnership, "dkg:Partnership", f"{s_name}\u2013{acronym} partnership")
    src.blocks[partnership].add("dkg:partner", state, org).add("dkg:datesBackTo", accession)
    src.blocks[partnership].add("dkg:startDate", month(joined))
    src.sentence(
        f"The {s_name}\u2013{acronym} partnership dates back to {spoken_month(joined)},"
        f" when {s_name} joined the {council_name}.",
        [partnership, accession, council, state, org],
        sep="\n\n",
    )

    # A programme, its framework document and the signing.
    programme_name = f"{acronym} Partnership for Security"
    programme = f"{org}-partnership-for-security"
    src.block(programme, "dkg:Programme", programme_name)
    document = f"{programme}-framework-document"
    src.block(document, "dkg:Document", f"{programme_name} Framework Document")
    src.blocks[document].props.setdefault("dkg:documentOf", [programme])
    signed = joined + timedelta(days=rng.randint(30, 700))
    signed = min(signed, published)
    fm_label = f"Minister of Foreign Affairs of {s_name}"
    fm_post = _post(src, f"id:minister-of-foreign-affairs-of-{slug(s_name)}", fm_label, ministry)
    f_name, f_person, f_holding = _holding(src, world, fm_post, fm_label)
    signing = f"id:{sid}-signing"
    src.block(signing, "dkg:Signing", f"{f_name} signs the {programme_name} Framework Document")
    src.blocks[signing].add("dkg:signatory", f_person).add("dkg:inCapacityOf", fm_post)
    src.blocks[signing].add("dkg:signedDocument", document).add("dkg:date", day(signed))
    participation = f"id:{sid}-programme-participation"
    src.block(participation, "dkg:ProgrammeParticipation", f"{s_name} in the {programme_name}")
    src.blocks[participation].add("dkg:participatingState", state)
    src.blocks[participation].add("dkg:programme", programme).add("dkg:manner", lit("active"))
    src.sentence(
        f"On {spoken(signed)} {fm_label} {f_name} signed the {programme_name} Framework"
        f" Document, and {s_name} has taken an active part in the programme since.",
        [signing, participation, f_holding, f_person, fm_post, programme, document],
    )

    # Political dialogue.
    dialogue = f"id:{sid}-political-dialogue"
    d_topic = rng.choice(TOPICS)
    d_topic_iri = _topic(src, d_topic)
    src.block(dialogue, "dkg:PoliticalDialogue", f"{s_name}\u2013{acronym} political dialogue")
    src.blocks[dialogue].add("dkg:partner", state, org).add("dkg:topic", d_topic_iri)
    src.blocks[dialogue].add("dkg:basedOnPrinciplesOf", programme)
    src.blocks[dialogue].add("dkg:asOf", day(published))
    src.sentence(
        f"{s_name} conducts political dialogue with {acronym} on {d_topic}.",
        [dialogue, d_topic_iri],
        sep="\n\n",
    )

    # A mission, the state's participation and its troop contribution.
    area_name = rng.choice([s for s in world.states if s != s_name])
    area = _state(src, area_name)
    forces = f"id:armed-forces-of-{slug(area_name)}"
    src.block(forces, "dkg:ArmedForces", f"Armed Forces of {area_name}")
    src.blocks[forces].props.setdefault("dkg:bodyOf", [area])
    mission = f"{org}-mission-in-{slug(area_name)}"
    mission_name = f"{acronym} Training Mission in {area_name}"
    src.block(mission, "dkg:TrainingAdviceAssistanceMission", mission_name)
    src.blocks[mission].props.setdefault("dkg:ledBy", [org])
    src.blocks[mission].props.setdefault("dkg:areaOfOperations", [area])
    src.blocks[mission].props.setdefault("dkg:supportedForces", [forces])
    since = published - timedelta(days=rng.randint(400, 3000))
    mp = f"id:{sid}-mission-participation"
    src.block(mp, "dkg:MissionParticipation", f"{s_name} in the {mission_name}")
    src.blocks[mp].add("dkg:participatingState", state).add("dkg:mission", mission)
    src.blocks[mp].add("dkg:startDate", day(since)).add("dkg:asOf", day(published))
    src.sentence(
        f"{s_name} has been participating in the {mission_name}, which trains the Armed"
        f" Forces of {area_name}, since {spoken(since)}.",
        [mp, mission, area, forces],
    )

    roles = {k: f"id:role-{k}" for k in ROLES}
    for key, iri in roles.items():
        src.block(iri, "dkg:Role", ROLES[key])
    change_day = since + timedelta(days=rng.randint(100, 380))
    before, after = rng.randint(20, 200), 0
    after = before + rng.randint(5, 100)
    officers, doctors = rng.randint(1, after // 4), rng.randint(1, 5)
    old, new = f"id:{sid}-contribution-{before}", f"id:{sid}-contribution-{after}"
    for iri, n in ((old, before), (new, after)):
        src.block(
            iri, "dkg:TroopContribution", f"{s_name}'s {n} peacekeepers in the {mission_name}"
        )
        src.blocks[iri].add("dkg:participatingState", state).add("dkg:mission", mission)
        src.blocks[iri].add("dkg:personnelCount", str(n)).add("dkg:role", roles["peacekeeper"])
    src.blocks[old].add("dkg:endDate", month(change_day))
    src.blocks[new].add("dkg:startDate", month(change_day))
    components = []
    for key, n in (("officer", officers), ("military-doctor", doctors)):
        comp = f"{new}-{key}s"
        src.block(
            comp, "dkg:ContributionComponent", f"{n} {ROLES[key]}s of {s_name}'s contribution"
        )
        src.blocks[comp].add("dkg:personnelCount", str(n)).add("dkg:role", roles[key])
        components.append(comp)
    src.blocks[new].add("dkg:hasComponent", *components)
    change = f"id:{sid}-contribution-change"
    src.block(change, "dkg:ContributionChange", f"{s_name} raises its contribution to {after}")
    src.blocks[change].add("dkg:participatingState", state).add("dkg:mission", mission)
    src.blocks[change].add("dkg:previousContribution", old).add("dkg:newContribution", new)
    src.blocks[change].add("dkg:date", month(change_day))
    src.sentence(
        f"In {spoken_month(change_day)}, {s_name} increased the number of its peacekeepers in the"
        f" mission from {before} to {after} servicemen, including {officers} officers, and"
        f" also {doctors} military doctors.",
        [change, old, new, *components, *roles.values()],
    )
    src.sentence(f"Follow {medium_name} for more.", [medium], sep="\n\n")
    src.text += "\n"
    return src


def metadata_turtle(src: Source, index: int) -> tuple[str, int]:
    """Return the source's metadata file and its triple count."""
    b = Block(f"id:{src.sid}").add("a", "dkg:NewsArticle")
    b.add("rdfs:label", en(f"{src.medium}, {spoken(src.published)}: synthetic article {index}"))
    b.add("schema:datePublished", day(src.published)).add("schema:author", src.author)
    b.add("schema:publisher", f"id:{slug(src.medium)}").add("schema:inLanguage", lit("en"))
    b.add("dcterms:format", lit("text/plain; charset=utf-8"))
    return PREFIXES + "\n" + b.turtle(), b.triples()


def facts_turtle(src: Source) -> str:
    """Return the source's facts file."""
    parts = [
        PREFIXES,
        f"# Synthetic facts of data/sources/{src.sid}.txt (benchmarks/generate.py).\n",
    ]
    parts += [b.turtle() for b in src.blocks.values()]
    parts += [a.turtle() for a in src.annotations]
    return "\n".join(parts)


def generate(
    target: Path, triples: int, seed: int = 1, ontology: Path | None = None
) -> dict[str, int]:
    """Write a synthetic project of about ``triples`` triples (before reasoning).

    Args:
        target: The project directory to write (its ontology/ and data/ are replaced).
        triples: The number of asserted triples to aim at (ontology included).
        seed: The random seed; the same seed and size give the same files.
        ontology: The ``ontology/`` directory to copy (default: the repository's).

    Returns:
        ``sources``, ``triples`` (the estimated union size) and ``files``.
    """
    ontology = ontology or Path(__file__).resolve().parent.parent / "ontology"
    for sub in ("ontology", "data"):
        shutil.rmtree(target / sub, ignore_errors=True)
    shutil.copytree(ontology, target / "ontology")
    sources_dir, facts_dir = target / "data" / "sources", target / "data" / "facts"
    sources_dir.mkdir(parents=True)
    facts_dir.mkdir(parents=True)
    rng = random.Random(seed)
    # Roughly 190 distinct triples a source: size the pools from the expected count.
    world = World(rng, max(1, triples // 190))
    # The ontology's triples count towards the target (the shapes do not: they are not data).
    onto = Graph()
    for name in ("diplokg.ttl", "alignment.ttl"):
        if (target / "ontology" / name).is_file():
            onto.parse(target / "ontology" / name, format="turtle")
    total, count = len(onto), 0
    declared: set[str] = set()
    while total < triples or count == 0:
        count += 1
        src = write_source(world, count)
        meta, meta_triples = metadata_turtle(src, count)
        # Shared entities are counted once: their repeated declarations merge in the union.
        new = [b for s, b in src.blocks.items() if s not in declared]
        declared.update(src.blocks)
        total += meta_triples + 1 + sum(b.triples() for b in new)
        total += sum(a.triples() + 9 for a in src.annotations)
        (sources_dir / f"{src.sid}.txt").write_bytes(src.text.encode("utf-8"))
        (sources_dir / f"{src.sid}.ttl").write_text(meta, encoding="utf-8")
        (facts_dir / f"{src.sid}.ttl").write_text(facts_turtle(src), encoding="utf-8")
    return {"sources": count, "triples": total, "files": 3 * count}


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m benchmarks.generate TARGET (--scale S | --triples N)``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("target", type=Path, help="project directory to write")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--scale", choices=sorted(SCALES), help="10k, 100k or 1m triples")
    size.add_argument("--triples", type=int, help="about this many asserted triples")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    n = SCALES[args.scale] if args.scale else args.triples
    stats = generate(args.target, n, args.seed)
    print(f"{args.target}: {stats['sources']} sources, about {stats['triples']} triples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
