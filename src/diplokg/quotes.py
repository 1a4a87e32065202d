"""Quotes in their context: the sentence around an evidence quote, every quote of a source.

An evidence annotation (Web Annotation, https://www.w3.org/TR/annotation-model/)
selects its words with a ``TextQuoteSelector`` (the exact words) and a
``TextPositionSelector`` (code-point offsets into the source's ``schema:text``,
https://www.w3.org/TR/annotation-model/#text-position-selector). Pages show the
quote inside the sentence it belongs to, and a source's text with every quote marked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import URIRef

from diplokg.describe import Evidence, Reader, as_int, sparql_term
from diplokg.namespaces import OA


@dataclass(frozen=True)
class Passage:
    """A quote in the sentence around it: ``before`` + ``quote`` + ``after``."""

    before: str
    quote: str
    after: str


#: A sentence ends at . ! ? or … (closing quotes and brackets kept with it), or at a line end.
_SENTENCE_END = re.compile("[.!?\u2026][\"'\u2019\u201d)\\]]*(?=\\s|$)|\n")


def passage(text: str | None, evidence: Evidence) -> Passage:
    """The sentence(s) around a quote, split into before / quote / after.

    The quote is found at its text position when that matches, else by its first
    occurrence; the passage widens to the sentence boundaries around it.

    Args:
        text: The source's full text (``None`` when unknown).
        evidence: The quote and its offsets.

    Returns:
        The passage; just the quote when the text or the quote's place is unknown.
    """
    quote = evidence.exact
    if not text:
        return Passage("", quote, "")
    start = evidence.start
    if start is None or evidence.end is None or text[start : evidence.end] != quote:
        found = text.find(quote)
        if found < 0:
            return Passage("", quote, "")
        start = found
    end = start + len(quote)
    left = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        if m.end() <= start:
            left = m.end()
    right = len(text)
    tail = quote.rstrip()
    if not (tail and tail[-1] in ".!?…"):
        stop = _SENTENCE_END.search(text, end)
        if stop is not None:
            right = stop.end()
    else:
        right = end
    return Passage(text[left:start].lstrip(), quote, text[end:right].rstrip())


def source_quotes(reader: Reader, source: URIRef) -> list[Evidence]:
    """Every quote of a source: the annotations whose target is in it, in text order.

    Args:
        reader: The store reader.
        source: The source (its full text is its ``schema:text``).

    Returns:
        One :class:`Evidence` per annotation (``body`` is the source itself).
    """
    t = sparql_term(source)
    rows = reader.select(
        f"SELECT DISTINCT ?a ?exact ?start ?end WHERE {{ ?tg {OA.hasSource.n3()} {t} . "
        f"?a {OA.hasTarget.n3()} ?tg . ?tg {OA.hasSelector.n3()} ?q . ?q {OA.exact.n3()} ?exact "
        f"OPTIONAL {{ ?tg {OA.hasSelector.n3()} ?p . ?p {OA.start.n3()} ?start ; "
        f"{OA.end.n3()} ?end }} }}"
    )
    found = {
        Evidence(
            source, r["a"], source, str(r["exact"]), as_int(r.get("start")), as_int(r.get("end"))
        )
        for r in rows
    }
    return sorted(found, key=lambda e: (-1 if e.start is None else e.start, str(e.annotation)))
