"""Structured logs: the request id, one record per request, JSON lines in UTC."""

import io
import json
import logging
from datetime import datetime, timedelta

import pytest

from console.logs import RequestLogMiddleware
from organisations.roles import ADMIN


def request_records(caplog):
    return [record for record in caplog.records if record.name == "console.request"]


@pytest.fixture
def request_log(caplog):
    caplog.set_level(logging.DEBUG, logger="console.request")
    return caplog


def test_a_well_formed_request_id_is_kept_and_echoed(client, request_log):
    response = client.get("/healthz", headers={"x-request-id": "3f1c9a5e-proxy-42"})
    assert response["X-Request-ID"] == "3f1c9a5e-proxy-42"
    (record,) = request_records(request_log)
    assert record.request_id == "3f1c9a5e-proxy-42"
    assert (record.method, record.path, record.status) == ("GET", "/healthz", 200)
    assert record.duration_ms >= 0
    assert record.levelno == logging.DEBUG  # a probe that succeeds is not news


@pytest.mark.parametrize("given", ["", "bad id", "forged\nline", "x" * 200, '"quote'])
def test_a_missing_or_malformed_request_id_is_replaced(client, request_log, given):
    response = client.get("/healthz", headers={"x-request-id": given} if given else {})
    generated = response["X-Request-ID"]
    assert generated != given
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert request_records(request_log)[0].request_id == generated


def test_every_request_gets_a_request_id_of_its_own(client):
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


@pytest.mark.django_db
def test_the_record_names_the_user_and_the_organisation(client, request_log, organisation, member):
    user = member(ADMIN)
    client.force_login(user)
    response = client.get(f"/o/{organisation.slug}/overview/")
    assert response.status_code == 200
    (record,) = request_records(request_log)
    assert (record.user_id, record.organisation_id, record.status, record.levelno) == (
        user.pk,
        organisation.pk,
        200,
        logging.INFO,
    )


@pytest.mark.django_db
def test_a_signed_out_request_names_no_user(client, request_log):
    client.get("/accounts/login/")
    (record,) = request_records(request_log)
    assert (record.user_id, record.organisation_id) == (None, None)


def test_a_server_error_is_logged_as_an_error(rf, request_log):
    from django.http import HttpResponseServerError

    RequestLogMiddleware(lambda request: HttpResponseServerError())(rf.get("/boom"))
    assert request_records(request_log)[0].levelno == logging.ERROR


@pytest.mark.django_db
def test_the_handler_writes_json_lines_with_the_request_id_on_every_record(client, settings):
    handler = logging.getHandlerByName("console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    settings.CACHES = {  # a cache that does not answer: /readyz logs a warning, inside the request
        "default": {"BACKEND": "console.cache.SharedClientRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    try:
        request_id = client.get("/readyz", headers={"x-request-id": "probe-7"})["X-Request-ID"]
    finally:
        handler.setStream(previous)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    by_logger = {line["name"]: line for line in lines}
    assert by_logger["console.health"]["levelname"] == "WARNING"
    assert by_logger["console.health"]["request_id"] == request_id == "probe-7"
    summary = by_logger["console.request"]
    assert summary["message"] == "GET /readyz 503"
    assert (summary["status"], summary["path"], summary["request_id"]) == (503, "/readyz", "probe-7")
    written = datetime.fromisoformat(summary["time"])
    assert written.utcoffset() == timedelta(0)


@pytest.mark.django_db
def test_the_secrets_of_a_path_are_masked(client, request_log):
    client.get("/invitations/s3cr3t-invitation-token/")
    client.get("/accounts/confirm-email/s3cr3t-confirmation-key/")
    paths = [record.path for record in request_records(request_log)]
    assert paths == ["/invitations/***/", "/accounts/confirm-email/***/"]
    assert not any("s3cr3t" in record.getMessage() for record in request_records(request_log))
