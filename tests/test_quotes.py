"""diplokg.quotes: a quote in the sentence around it."""

from __future__ import annotations

from rdflib import URIRef

from diplokg.describe import Evidence
from diplokg.quotes import passage
from tests.linked import ID

TEXT = (
    "date 2020-01-21 By A. Writer\n\n"
    "The first sentence ends here. The second one, with a quote in it, goes on. "
    "“A quoted sentence!” said someone.\nA line without a stop\nLast one?"
)


def ev(quote: str, start: int | None = None, end: int | None = None) -> Evidence:
    return Evidence(URIRef(ID + "x"), URIRef(ID + "ev"), URIRef(ID + "src"), quote, start, end)


def test_passage_widens_to_the_sentence() -> None:
    start = TEXT.index("with a quote")
    p = passage(TEXT, ev("with a quote", start, start + len("with a quote")))
    assert p.before == "The second one, "
    assert p.quote == "with a quote"
    assert p.after == " in it, goes on."


def test_passage_of_a_whole_sentence_is_the_sentence() -> None:
    quote = "The first sentence ends here."
    start = TEXT.index(quote)
    p = passage(TEXT, ev(quote, start, start + len(quote)))
    assert (p.before, p.quote, p.after) == ("", quote, "")


def test_passage_stops_at_line_ends_and_quotes() -> None:
    p = passage(TEXT, ev("without", TEXT.index("without"), TEXT.index("without") + 7))
    assert p.before == "A line "
    assert p.after == " a stop"
    p = passage(TEXT, ev("said", TEXT.index("said"), TEXT.index("said") + 4))
    assert p.before == ""
    assert p.after == " someone."


def test_passage_with_wrong_offsets_finds_the_quote() -> None:
    p = passage(TEXT, ev("goes on", 0, 7))
    assert p.quote == "goes on"
    assert p.before.endswith("in it, ")


def test_passage_without_text_or_quote_is_the_quote() -> None:
    assert passage(None, ev("anything")).quote == "anything"
    p = passage(TEXT, ev("not in the text"))
    assert (p.before, p.quote, p.after) == ("", "not in the text", "")
