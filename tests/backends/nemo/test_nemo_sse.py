"""Parsing agent turns: both event formats, heartbeats, notes and the cap (no network)."""

from __future__ import annotations

import json

import pytest
from nemo_fakes import FakeClock, adk_call, adk_result, adk_text

from game_music.backends.nemo._sse import TurnReader, TurnTimeout, parse_data


def _read(payloads: list[str], **kw: object) -> object:
    return TurnReader(clock=FakeClock(), note=lambda m: None, **kw).read(payloads)  # type: ignore[arg-type]


def test_documented_format() -> None:
    payloads = [json.dumps(e) for e in (
        {"type": "text", "content": "Adding chiptune music."},
        {"type": "tool_call", "name": "edit_multitrack", "args": {"x": 1}},
        {"type": "heartbeat"},
        {"type": "tool_result", "name": "edit_multitrack", "result": {"ok": True}},
        {"type": "text", "content": "Done: BGM 0-3s at 35%."},
    )]
    turn = _read(payloads)
    assert turn.text == "Adding chiptune music.\nDone: BGM 0-3s at 35%."
    assert turn.tool_calls == ("edit_multitrack",)
    assert turn.heartbeats == 1 and not turn.silent


def test_adk_format_with_partial_chunks_not_doubled() -> None:
    payloads = [json.dumps(e) for e in (
        adk_call("generate_music"),
        adk_result("generate_music"),
        adk_text("Added ", partial=True),
        adk_text("music.", partial=True),
        adk_text("Added music."),  # the aggregated event repeats the whole text
    )]
    thought = {"content": {"parts": [{"text": "thinking...", "thought": True}]}}
    turn = _read([*payloads, json.dumps(thought)])
    assert turn.text == "Added music."
    assert turn.tool_calls == ("generate_music",)


def test_heartbeats_empty_data_and_plain_text() -> None:
    assert [e.kind for e in parse_data("")] == ["heartbeat"]
    assert [e.kind for e in parse_data("   ")] == ["heartbeat"]
    assert [e.kind for e in parse_data("ping")] == ["heartbeat"]
    assert [e.kind for e in parse_data('{"type":"heartbeat"}')] == ["heartbeat"]
    turn = _read(["", "", '{"type":"heartbeat"}'])
    assert turn.silent and turn.heartbeats == 3


def test_errors_from_both_formats() -> None:
    turn = _read([
        json.dumps({"error": "tool crashed"}),
        json.dumps({"author": "a", "errorCode": "UNKNOWN_ERROR", "errorMessage": "model failed"}),
        json.dumps({"type": "error", "message": "boom"}),
    ])
    assert turn.errors == ("tool crashed", "model failed", "boom")
    assert turn.silent


def test_trailing_temporary_issue_noise_is_dropped() -> None:
    turn = _read([json.dumps(adk_text("Music added.")),
                  json.dumps(adk_text("I encountered a temporary issue, please retry."))])
    assert turn.text == "Music added."


def test_still_working_note_every_two_minutes() -> None:
    notes: list[str] = []
    clock = FakeClock(step=30.0)  # each event arrives 30 s after the previous one
    reader = TurnReader(clock=clock, note=notes.append)
    turn = reader.read([""] * 20)  # about 10 minutes of heartbeats
    assert turn.silent
    assert len(notes) == 5
    assert all(n.startswith("NemoVideo is still working") for n in notes)
    assert "min so far" in notes[-1]


def test_turn_cap() -> None:
    reader = TurnReader(clock=FakeClock(step=100.0), note=lambda m: None)
    with pytest.raises(TurnTimeout):
        reader.read([""] * 50)
