"""Operations: request ids, metrics, logs, security headers, body limits, secrets, dump/restore."""

import gzip
import logging
import subprocess
import sys

import pytest
from pydantic import ValidationError

from app.settings import Settings

from .conftest import create_user, make_client


def test_request_id_is_echoed_or_generated(client):
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    generated = client.get("/health").headers["x-request-id"]
    assert len(generated) == 32
    assert client.get("/health").headers["x-request-id"] not in ("abc-123", generated)  # one per request
    assert client.get("/health", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"] != "bad id\n"


def test_metrics_count_requests_per_route_and_time_the_store(client):
    client.get("/places/nearby", params={"lat": 53.2, "lon": 6.1})
    client.get("/places/rm-99999999")
    text = client.get("/metrics").text
    assert 'pvb_requests_total{method="GET",route="/places/nearby",status="200"}' in text
    assert 'pvb_requests_total{method="GET",route="/places/{key:path}",status="404"}' in text
    assert 'pvb_request_duration_seconds_bucket{method="GET",route="/places/nearby",le="+Inf"}' in text
    assert 'pvb_store_duration_seconds_count{operation="select"}' in text
    assert "\npvb_places_indexed 8025\n" in text and "# TYPE pvb_contexts_cached gauge" in text


def test_access_logs_are_json_with_request_ids_and_no_secrets(writable_client, caplog):
    caplog.set_level(logging.INFO, logger="pvb.access")
    writable_client.post("/auth/token", data={"username": "nobody", "password": "my secret password"},
                         headers={"X-Request-ID": "req-42", "Authorization": "Bearer sekrit-token"})
    records = [r for r in caplog.records if r.name == "pvb.access"]
    assert records and records[-1].fields["status"] == 401 and records[-1].fields["route"] == "/auth/token"
    from app.observability import JsonFormatter, request_id

    token = request_id.set("req-42")
    line = JsonFormatter().format(records[-1])
    request_id.reset(token)
    assert '"request_id": "req-42"' in line
    assert "my secret password" not in caplog.text and "sekrit-token" not in caplog.text


def test_security_headers_and_csp_on_html(client):
    api = client.get("/health")
    assert api.headers["x-content-type-options"] == "nosniff" and api.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in api.headers
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_oversized_bodies_are_413_problems(client):
    big = {"username": "x" * 10, "password": "p" * 2_000_000, "display_name": "x"}
    r = client.post("/auth/register", json=big)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"

    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    streamed = client.post("/auth/register", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["status"] == 413


def test_default_secret_is_refused_in_production():
    with pytest.raises(ValidationError, match="PVB_SECRET_KEY"):
        Settings(environment="production")
    assert Settings(environment="production", secret_key="a-real-secret-of-some-length").environment == "production"


def run_pvb(*args):
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, timeout=300)


def sorted_dump(path):
    return sorted(gzip.decompress(path.read_bytes()).splitlines())


def test_dump_restore_dump_is_identical_and_the_api_answers_the_same(writable_client, tmp_path):
    c = writable_client
    create_user(c, "operator", role="admin")  # private account data must survive too
    before = c.get("/places/rm-7032").json()
    near = c.get("/places/nearby", params={"lat": 53.2179, "lon": 6.1628, "radius": 2000}).json()
    admin = create_user(c, "dumper", role="admin")
    r = c.get("/admin/dump", headers=admin)
    assert r.status_code == 200 and r.headers["content-type"] == "application/gzip"
    first = tmp_path / "first.nq.gz"
    first.write_bytes(r.content)
    restored = tmp_path / "restored"
    assert run_pvb("restore", str(first), "--store", str(restored)).returncode == 0
    second = tmp_path / "second.nq.gz"
    result = run_pvb("dump", str(second), "--store", str(restored))
    assert result.returncode == 0, result.stderr
    assert sorted_dump(first) == sorted_dump(second)
    assert any(b"urn:pvb:private:accounts" in line for line in sorted_dump(second))
    with make_client(restored) as again:
        assert again.get("/places/rm-7032").json() == before
        assert again.get("/places/nearby", params={"lat": 53.2179, "lon": 6.1628, "radius": 2000}).json() == near
        again.post("/auth/token", data={"username": "operator", "password": "correct horse battery"}).raise_for_status()


def test_restore_refuses_a_store_with_data(fresh_store, tmp_path):
    empty_dump = tmp_path / "d.nq.gz"
    empty_dump.write_bytes(gzip.compress(b""))
    result = run_pvb("restore", str(empty_dump), "--store", str(fresh_store))
    assert result.returncode == 2 and "empty store" in result.stderr


def test_only_admins_may_dump(writable_client):
    visitor = create_user(writable_client, "nosy")
    assert writable_client.get("/admin/dump", headers=visitor).status_code == 403
    assert writable_client.get("/admin/dump").status_code == 401
