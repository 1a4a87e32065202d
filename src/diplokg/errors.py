"""The DiploKG exception hierarchy.

Every error a user can act on is a :class:`DiploKGError`. Each class carries the
HTTP status the web layer answers with and the exit code the CLI returns
(0 ok, 1 the data does not conform or a check failed, 2 bad input or usage);
those two mappings read these class attributes and nothing else.
"""

from __future__ import annotations

from pathlib import Path


class DiploKGError(Exception):
    """Base class of all DiploKG errors; unknown subclasses map to 500 / exit 2."""

    http_status: int = 500
    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(DiploKGError):
    """Bad input: a missing file, a bad setting, a malformed query (400, exit 2)."""

    http_status = 400
    exit_code = 2


class FileSyntaxError(InputError):
    """An input file that does not parse; names the file and, when known, the line."""

    def __init__(self, path: Path | str, line: int | None, detail: str) -> None:
        self.path = Path(path)
        self.line = line
        self.detail = detail
        where = f"{self.path}:{line}" if line is not None else f"{self.path}"
        super().__init__(f"{where}: syntax error: {detail}")


class QuerySyntaxError(InputError):
    """A SPARQL query that does not parse; names the line and column when known."""

    def __init__(self, line: int | None, column: int | None, detail: str) -> None:
        self.line = line
        self.column = column
        self.detail = detail
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"malformed query{where}: {detail}")


class CheckFailed(DiploKGError):
    """A check over well-formed data failed (exit 1); carries every problem found."""

    http_status = 500
    exit_code = 1
    title = "check failed"

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{self.title}: {n} problem{'s' if n != 1 else ''}"
        super().__init__("\n".join([head, *(f"- {p}" for p in self.problems)]))


class ProvenanceError(CheckFailed):
    """An evidence annotation whose quote does not match its source text."""

    title = "provenance check failed"


class InconsistencyError(CheckFailed):
    """The OWL 2 RL closure is inconsistent (owl:Nothing members, disjointness clashes…)."""

    title = "inconsistent ontology and data"


class ValidationFailed(CheckFailed):
    """The data or the ontology does not conform to its SHACL shapes."""

    title = "SHACL validation failed"

    def __init__(self, problems: list[str], report: str = "") -> None:
        super().__init__(problems)
        self.report = report
        if report:
            self.message = report


class NotFound(DiploKGError):
    """A requested resource or file does not exist (404, exit 2)."""

    http_status = 404
    exit_code = 2


class NotAcceptable(DiploKGError):
    """No representation matches what the client accepts (406, exit 2)."""

    http_status = 406
    exit_code = 2


class Forbidden(DiploKGError):
    """A request understood and refused: an update, SERVICE, a graph outside the dataset (403)."""

    http_status = 403
    exit_code = 2


class UnsupportedMediaType(InputError):
    """A request body in a media type the endpoint does not read (415, exit 2)."""

    http_status = 415


class PayloadTooLarge(InputError):
    """A request body above the size limit (413, exit 2)."""

    http_status = 413


class EvaluationError(DiploKGError):
    """A query that parsed but failed during evaluation (500, exit 2)."""

    http_status = 500
    exit_code = 2


class ServiceUnavailable(DiploKGError):
    """The service cannot answer now; ``retry_after`` says in how many seconds to retry (503)."""

    http_status = 503
    exit_code = 2

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryTimeout(ServiceUnavailable):
    """A query stopped by the query timeout (503 with ``Retry-After``)."""


class GatewayTimeout(QueryTimeout):
    """The remote store did not answer within the query timeout (504 with ``Retry-After``)."""

    http_status = 504


class StoreUnavailable(ServiceUnavailable):
    """The remote store cannot be reached (refused, reset): 503 with ``Retry-After``."""


class BadGateway(ServiceUnavailable):
    """The remote store answered with an error or something that is not SPARQL (502)."""

    http_status = 502


class DistError(InputError):
    """``dist/`` is missing, partial or corrupt; the server does not start (exit 2)."""

    http_status = 500


class PushMismatch(CheckFailed):
    """After ``diplokg push``, the remote store's graphs differ from ``dist/`` (exit 1)."""

    title = "push verification failed"
