"""Schemathesis against the app's own OpenAPI schema: no 500s, responses match the schema,
every error is problem+json. Bounded, derandomised examples per operation keep it quick and repeatable."""

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from .conftest import make_client

FUZZ_EXAMPLES = 25
SKIP = {"/admin/dump"}  # a whole-store dump per example is slow, and its auth is tested elsewhere


@pytest.fixture(scope="module")
def fuzz_app(sample_store_dir, tmp_path_factory):
    target = tmp_path_factory.mktemp("fuzz") / "store"
    shutil.copytree(sample_store_dir, target)
    with make_client(target) as client:
        yield client.app


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app):
    async def started_app(scope, receive, send):
        """The app with its lifespan already run by our client: schemathesis must not open the store twice."""
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await fuzz_app(scope, receive, send)

    return schemathesis.openapi.from_asgi("/openapi.json", started_app).exclude(path=list(SKIP))


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
def test_api_never_fails_and_keeps_its_promises(case):
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"
    if response.status_code >= 400:
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type.startswith("application/problem+json"), response.text[:300]
        body = response.json()
        assert body["status"] == response.status_code and body["title"] and "detail" in body
    # semantic checks beyond the schema (an unknown cursor, concept or place) are 4xx by design
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
