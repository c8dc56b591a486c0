"""Fixtures for the cloud backend: a mocked NemoVideo API (pytest-httpx) and a guard that
checks every request's headers and that the token never reaches a URL, a log or the terminal."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
import stamina
from nemo_fakes import API, ATTRIBUTION, Api, FakeClock, assert_clean
from pytest_httpx import HTTPXMock

from game_music.backends.nemo._client import NemoClient
from game_music.backends.nemo._settings import load_settings

API_HOST = httpx.URL(API).host


@pytest.fixture(autouse=True)
def _fast_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3):  # no real backoff waits in tests
        yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def notes() -> list[str]:
    return []


@pytest.fixture
def client(clock: FakeClock, notes: list[str]) -> Iterator[NemoClient]:
    with NemoClient(load_settings(), sleep=clock.sleep, clock=clock, note=notes.append) as c:
        yield c


@pytest.fixture
def api(httpx_mock: HTTPXMock) -> Api:
    return Api(httpx_mock)


@pytest.fixture(autouse=True)
def _guard(
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[None]:
    """After every test: attribution headers on every request, the bearer on every request to
    the API but the anonymous-token one (and on none elsewhere), never a token in a URL, a log
    record or the terminal."""
    caplog.set_level(logging.DEBUG)
    mock: HTTPXMock | None = None
    if "httpx_mock" in request.fixturenames:
        mock = request.getfixturevalue("httpx_mock")  # set up now so it outlives this guard
    yield
    if mock is not None:
        for req in mock.get_requests():
            for name in ATTRIBUTION:
                assert req.headers.get(name), f"{name} missing on {req.method} {req.url}"
            assert_clean(str(req.url))
            if req.url.host != API_HOST:  # a result link elsewhere: never any credentials
                assert "Authorization" not in req.headers, f"bearer sent to {req.url}"
                assert "X-Client-Id" not in req.headers
            elif req.url.path == "/api/auth/anonymous-token":
                assert req.headers.get("X-Client-Id")
                assert "Authorization" not in req.headers
            else:
                assert req.headers.get("Authorization", "").startswith("Bearer nmv_usr_"), (
                    f"no bearer on {req.method} {req.url}"
                )
    out = capsys.readouterr()
    logged = [r.getMessage() for when in ("setup", "call") for r in caplog.get_records(when)]
    if mock is not None and mock.get_requests():
        assert logged, "nothing was logged: the log check would be vacuous"
    assert_clean(*logged, out.out, out.err)
