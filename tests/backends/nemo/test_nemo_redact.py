"""Masking of the token and client id, and the readable retry line, as units."""

from __future__ import annotations

import logging

import pytest
import stamina

from game_music._errors import NetworkError
from game_music.backends.nemo import _retries
from game_music.backends.nemo._redact import MaskSecrets, hint, mask, remember, scrub


def test_remembered_values_are_masked_in_any_case_and_url_encoded() -> None:
    remember("Tok/en+value-77", "short")  # "short" is too short to mask ordinary text with
    assert mask("got Tok/en+value-77 and TOK/EN+VALUE-77") == "got *** and ***"
    assert mask("q=Tok%2Fen%2Bvalue-77&x=1") == "q=***&x=1"
    assert mask("a short note") == "a short note"
    assert mask("Authorization: Bearer abc.def nmv_usr_zz") == "Authorization: *** ***"


def test_scrub_keeps_the_error_type_and_code() -> None:
    remember("client-id-unit-0099")
    exc = scrub(NetworkError("client client-id-unit-0099 refused"))
    assert isinstance(exc, NetworkError) and exc.code == "network"
    assert str(exc) == "client *** refused" and exc.message == "client *** refused"


def test_hint_shows_only_the_last_characters() -> None:
    assert hint("game-music-0123456789abcdef") == "...cdef"
    assert hint("abc") == "***" and hint(None) == "none"


def test_the_log_filter_masks_messages_arguments_and_tracebacks() -> None:
    remember("log-secret-424242")
    try:
        raise ValueError("boom log-secret-424242")
    except ValueError as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "saw %s",
                                   ("log-secret-424242",), (type(exc), exc, exc.__traceback__))
    assert MaskSecrets().filter(record)
    text = logging.Formatter("%(message)s").format(record)
    assert "log-secret-424242" not in text and "saw ***" in text and "ValueError: boom ***" in text


def test_a_retry_outside_the_client_still_reads_as_a_sentence(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _retries.install()
    caplog.set_level(logging.WARNING, logger="stamina")
    calls = []

    @stamina.retry(on=OSError, attempts=2)
    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("transient")

    flaky()
    (line,) = [r.getMessage() for r in caplog.records if r.name == "stamina"]
    assert line.startswith("test_nemo_redact.") and "failed (OSError('transient'))" in line
    assert line.endswith("retrying in 0.0 s (attempt 2)")
