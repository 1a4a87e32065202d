"""Command line interface: a thin click group over the library functions.

Each command parses its options, builds :class:`~diplokg.config.Settings` with
:meth:`~diplokg.config.Settings.from_env` (options win over ``DIPLOKG_*``
variables, which click itself never reads), calls one library function and maps
:class:`~diplokg.errors.DiploKGError` to its exit code: 0 success, 1 the data does
not conform or a check failed, 2 bad input or usage. Errors go to stderr as
``error: …``, without a traceback.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import click

from diplokg import __version__
from diplokg.build import build as build_dist
from diplokg.build import check_project
from diplokg.config import Settings, env_var
from diplokg.errors import DiploKGError
from diplokg.queries import GRAPH_FORMATS, RESULT_FORMATS, query_dist, read_query
from diplokg.stats import dist_stats
from diplokg.validation import format_report

F = TypeVar("F", bound=Callable[..., Any])


def settings_options(*names: str) -> Callable[[F], F]:
    """Add one click option per setting, its help taken from the setting's declaration.

    Args:
        *names: Setting names (fields of :class:`Settings`).

    Returns:
        A decorator for a click command; the options arrive as keyword arguments,
        ``None`` when not given.
    """
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    hints = get_type_hints(Settings)

    def decorate(fn: F) -> F:
        for name in reversed(names):
            f = fields[name]
            kind: Any = click.Path(path_type=Path) if hints[name] is Path else hints[name]
            help_ = f"{f.metadata['help']} [env: {env_var(name)}; default: {f.default}]"
            fn = click.option(f"--{name.replace('_', '-')}", name, type=kind, help=help_)(fn)
        return fn

    return decorate


def handle_errors(fn: F) -> F:
    """Turn DiploKG errors into ``error: …`` on stderr and their exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DiploKGError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(e.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as e:  # a bug: say so, keep the trace for the report
            click.echo(f"error: internal error: {type(e).__name__}: {e}", err=True)
            traceback.print_exc(file=sys.stderr)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="diplokg")
def cli() -> None:
    """DiploKG: build, validate and query the knowledge graph.

    Exit codes: 0 success, 1 the data does not conform or a check failed,
    2 bad input or usage.
    """


@cli.command()
@settings_options("root", "dist", "base", "reasoner", "shacl", "cache")
@handle_errors
def build(**options: Any) -> None:
    """Check everything and write dist/ atomically.

    Parses the ontology, shapes, sources, facts and background, checks every
    evidence quote, computes the OWL 2 RL closure, checks consistency, validates
    with SHACL, then replaces dist/ with the new dataset. A failed build leaves
    dist/ as it was.
    """
    settings = Settings.from_env(**options)
    result = build_dist(settings)
    checked = result.checked
    counts = checked.counts()
    total = sum(counts["graphs"].values())
    seconds = sum(checked.timings.values())
    click.echo(
        f"built {result.dist} in {seconds:.2f} s: {len(checked.graphs)} graphs, {total} triples"
        f" ({counts['inferred']} inferred), {counts['evidence']} evidence quotes checked,"
        f" {len(result.manifest['files']) + 1} files"
    )
    if checked.mode == "incremental":
        click.echo(f"incremental: the previous build plus {len(checked.added)} added source(s)")
    elif checked.why_full:
        click.echo(f"full build: {checked.why_full}")
    click.echo(format_report(checked.report, settings.base))


@cli.command()
@settings_options("root", "base", "reasoner", "shacl", "cache")
@handle_errors
def validate(**options: Any) -> None:
    """Run every check of the build and print the report; write nothing."""
    settings = Settings.from_env(**options)
    checked = check_project(settings)
    counts = checked.counts()
    click.echo(
        f"ok: {counts['sources']} sources, {counts['evidence']} evidence quotes,"
        f" {counts['inferred']} inferred triples, consistent"
    )
    click.echo(format_report(checked.report, settings.base))


_FORMATS = sorted(set(RESULT_FORMATS) | set(GRAPH_FORMATS))


@cli.command()
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    help="Output format: table, json, xml, csv or tsv for SELECT/ASK (default table);"
    " turtle, nt, json-ld or xml for CONSTRUCT/DESCRIBE (default turtle).",
)
@settings_options("root", "dist", "base")
@handle_errors
def query(query: str, fmt: str | None, **options: Any) -> None:
    """Run a SPARQL QUERY (its text, or the path of a .rq file) on dist/.

    The default graph is the union of all named graphs; GRAPH names one.
    """
    settings = Settings.from_env(**options)
    click.echo(query_dist(settings, read_query(query), fmt), nl=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@settings_options("root", "dist", "base")
@handle_errors
def stats(as_json: bool, **options: Any) -> None:
    """Summarise dist/: triples per graph, entities by class, facts with evidence."""
    result = dist_stats(Settings.from_env(**options))
    click.echo(result.to_json() if as_json else result.to_text())


@cli.command()
@settings_options(
    "host",
    "port",
    "server",
    "workers",
    "threads",
    "store",
    "store_path",
    "store_query_url",
    "query_timeout",
    "result_cap",
    "max_body",
    "query_memory",
    "query_cache",
    "public_url",
    "root",
    "dist",
    "base",
)
@handle_errors
def serve(**options: Any) -> None:
    """Serve the dataset over HTTP: SPARQL 1.1 at /sparql, on granian or gunicorn.

    Builds dist/ first when it is missing or older than its inputs. Stop with Ctrl+C.
    """
    from diplokg.web.server import serve as run_server

    run_server(Settings.from_env(**options))


@cli.command()
@settings_options("store_gsp_url", "store_query_url", "root", "dist", "base")
@handle_errors
def push(**options: Any) -> None:
    """Load dist/ into the remote store, graph by graph, and verify the counts.

    Each named graph replaces the remote graph of the same IRI (a Graph Store
    Protocol PUT of N-Triples); graphs of this dataset that dist/ no longer has
    are deleted. Then the triples of every graph are counted through the query
    endpoint: exit 1, naming the graphs, when they differ from dist/.
    """
    from diplokg.push import push as push_dist

    click.echo(push_dist(Settings.from_env(**options)).to_text())


def main() -> None:
    """Run the ``diplokg`` console script."""
    # rdflib logs a traceback for each ill-typed literal; the build reports them itself.
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)
    cli(prog_name="diplokg")
