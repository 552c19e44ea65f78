"""Log lines as an operator reads them: one JSON object per line, the request id on every line
(also Django's own error lines), and never a BSN: not in the message, the extra fields, the
exception's text or the traceback."""

import io
import json
import logging

import pytest

from portal import request_id
from portal.logging import JsonFormatter, RedactBsnFilter, RequestIdFilter, redact_bsn

BSN = "111222333"


@pytest.fixture
def json_lines():
    """The production chain (the filters and the JSON formatter) on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactBsnFilter())
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(saved_level)


def lookup(bsn):
    raise LookupError(f"no integration record for BSN {bsn}")


def test_a_line_is_one_json_object_with_the_fields_operators_filter_on(json_lines):
    with request_id.bound("proxy-request-7f3a9c2e"):
        logging.getLogger("tests.ops").info("letter %s issued", "INB-SD-7K4M-Q2XD", extra={"attempt": 2})
    [line] = [line for line in json_lines() if line["logger"] == "tests.ops"]
    assert line["message"] == "letter INB-SD-7K4M-Q2XD issued"
    assert line["level"] == "INFO" and line["request_id"] == "proxy-request-7f3a9c2e"
    assert line["attempt"] == 2
    assert line["timestamp"].endswith("+00:00") and "T" in line["timestamp"]


def test_the_bsn_is_blanked_in_the_exception_text_and_the_traceback(json_lines):
    try:
        lookup(BSN)
    except LookupError:
        logging.getLogger("tests.ops").exception("lookup of %s failed", BSN, extra={"detail": {"bsn": BSN}})
    [line] = [line for line in json_lines() if line["logger"] == "tests.ops"]
    text = json.dumps(line)
    assert BSN not in text
    assert line["message"] == "lookup of ********* failed"
    assert line["detail"] == {"bsn": "*********"}
    # Still a useful traceback: the exception, its text and the frames, only without the number.
    assert "Traceback (most recent call last)" in line["exc_info"]
    assert "LookupError: no integration record for BSN *********" in line["exc_info"]
    assert "in lookup" in line["exc_info"]


def test_the_plain_format_blanks_the_traceback_too():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s [%(request_id)s] %(message)s"))
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactBsnFilter())
    logger = logging.getLogger("tests.ops.plain")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        try:
            lookup(BSN)
        except LookupError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue()
    assert "LookupError: no integration record for BSN *********" in output
    assert BSN not in output


def test_django_logs_an_unhandled_error_with_the_request_id_and_without_the_bsn(client, settings, json_lines):
    settings.ROOT_URLCONF = "tests.ops.raising_urls"
    client.raise_request_exception = False
    response = client.get("/test-fout/", HTTP_X_REQUEST_ID="proxy-request-c0ffee42")
    assert response.status_code == 500
    assert response["X-Request-ID"] == "proxy-request-c0ffee42"
    lines = json_lines()
    [error] = [line for line in lines if line["logger"] == "django.request"]
    assert error["level"] == "ERROR" and error["request_id"] == "proxy-request-c0ffee42"
    assert "LookupError: no integration record for BSN *********" in error["exc_info"]
    assert "request" not in error  # Django's request object: its repr carries the query string
    assert all(BSN not in json.dumps(line) for line in lines)


@pytest.mark.django_db
def test_every_request_gets_an_id_and_one_line(client, json_lines):
    response = client.get("/", HTTP_X_REQUEST_ID="proxy-request-0a1b2c3d")
    assert response["X-Request-ID"] == "proxy-request-0a1b2c3d"
    [line] = [line for line in json_lines() if line["logger"] == "portal.request"]
    assert line["request_id"] == "proxy-request-0a1b2c3d"
    assert (line["http_method"], line["path"], line["view"], line["status"]) == ("GET", "/", "start", 200)
    assert line["duration_ms"] >= 0


@pytest.mark.django_db
def test_an_unusable_incoming_id_is_replaced(client):
    for incoming in ("short", "has spaces in it", "x" * 200, "<script>alert(1)</script>"):
        answered = client.get("/", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
        assert answered != incoming and len(answered) == 32 and int(answered, 16) >= 0


def test_identifiers_survive_the_redaction_but_a_bsn_inside_one_does_not():
    task_id = "ab3296ce-be57-40d4-9587-247434935271"  # nine digits in a row in its last group
    assert redact_bsn(f"task {task_id} received") == f"task {task_id} received"
    assert redact_bsn("request 7d1c0a9e4b3f123456789aa0") == "request 7d1c0a9e4b3f123456789aa0"
    assert redact_bsn(f"request 7d1c0a9e4b3f{BSN}aa0") == "request 7d1c0a9e4b3f*********aa0"
    assert redact_bsn(f"bsn={BSN};") == "bsn=*********;"
    assert redact_bsn(f"BSN{BSN}") == "BSN*********"
    assert redact_bsn("1234567890 is ten digits") == "1234567890 is ten digits"
