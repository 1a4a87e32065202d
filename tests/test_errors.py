from __future__ import annotations

import pytest

from diplokg import errors


@pytest.mark.parametrize(
    ("cls", "status", "code"),
    [
        (errors.DiploKGError, 500, 2),
        (errors.InputError, 400, 2),
        (errors.FileSyntaxError, 400, 2),
        (errors.QuerySyntaxError, 400, 2),
        (errors.ProvenanceError, 500, 1),
        (errors.InconsistencyError, 500, 1),
        (errors.ValidationFailed, 500, 1),
        (errors.NotFound, 404, 2),
        (errors.NotAcceptable, 406, 2),
        (errors.Forbidden, 403, 2),
        (errors.UnsupportedMediaType, 415, 2),
        (errors.PayloadTooLarge, 413, 2),
        (errors.EvaluationError, 500, 2),
        (errors.ServiceUnavailable, 503, 2),
        (errors.QueryTimeout, 503, 2),
    ],
)
def test_status_and_exit_code(cls: type[errors.DiploKGError], status: int, code: int) -> None:
    assert issubclass(cls, errors.DiploKGError)
    assert cls.http_status == status
    assert cls.exit_code == code


def test_file_syntax_error_names_file_and_line() -> None:
    e = errors.FileSyntaxError("data/facts/x.ttl", 7, "bad token")
    assert str(e) == "data/facts/x.ttl:7: syntax error: bad token"
    assert e.line == 7


def test_query_syntax_error_names_position() -> None:
    e = errors.QuerySyntaxError(2, 5, "Expected end of text")
    assert "line 2, column 5" in str(e)


def test_check_failed_lists_every_problem() -> None:
    e = errors.ProvenanceError(["first", "second"])
    assert e.problems == ["first", "second"]
    assert str(e).splitlines() == ["provenance check failed: 2 problems", "- first", "- second"]
