"""Command line interface: a thin click group over the library functions.

Exit codes: 0 success, 1 the data does not conform or a check failed,
2 bad input or usage (see :mod:`diplokg.errors`).
"""

from __future__ import annotations

import click

from diplokg import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="diplokg")
def cli() -> None:
    """DiploKG: build, validate and query the knowledge graph."""


def main() -> None:
    """Run the ``diplokg`` console script."""
    cli(prog_name="diplokg")
