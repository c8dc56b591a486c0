"""The public API is what ``game_music.__all__`` names, and only that (as httpx tests its own)."""

from __future__ import annotations

import inspect

import game_music
from game_music import _errors

EXPECTED = {
    "__version__", "MusicRequest",
    "GameMusicError", "InputError", "InputNotFound", "InputBusy", "UnsupportedInput",
    "CorruptInput", "NoVideoStream", "FileTooLarge", "BackendError", "NetworkError",
    "AuthError", "NoCredits", "RateLimited", "ExportBlocked", "OutputError",
    "OutputNotWritable", "DiskFull", "UsageError", "InvalidRequest", "Cancelled",
    "InternalError",
}


def test_all_names_exactly_the_public_api() -> None:
    assert set(game_music.__all__) == EXPECTED
    assert len(game_music.__all__) == len(set(game_music.__all__))
    for name in game_music.__all__:
        assert hasattr(game_music, name), name


def test_no_other_public_names_leak_from_the_package() -> None:
    public = {n for n in vars(game_music) if not n.startswith("_") and
              not inspect.ismodule(getattr(game_music, n))}
    assert public - EXPECTED - {"annotations"} == set()


def test_every_error_of_the_tree_is_exported_with_a_stable_code() -> None:
    tree = {n for n, obj in vars(_errors).items()
            if inspect.isclass(obj) and issubclass(obj, _errors.GameMusicError)}
    assert tree <= EXPECTED
    leaves = [getattr(game_music, n) for n in tree
              if not any(issubclass(getattr(game_music, m), getattr(game_music, n))
                         and m != n for m in tree)]
    codes = {cls.code for cls in leaves}
    # The codes hosts and scripts rely on (README, Contract 2); leaves keep them.
    assert codes >= {"input_not_found", "unsupported_input", "corrupt_input", "no_video_stream",
                     "file_too_large", "network", "auth", "no_credits", "rate_limited",
                     "export_blocked", "output_not_writable", "disk_full", "usage",
                     "cancelled", "internal"}
    # A family's own code is not a leaf's (a catcher can tell "any input problem" apart).
    for base in (game_music.InputError, game_music.OutputError):
        assert base.code not in {c.code for c in leaves if issubclass(c, base)}


def test_errors_carry_their_exit_codes() -> None:
    assert (game_music.UsageError.exit_code, game_music.InputNotFound.exit_code,
            game_music.NetworkError.exit_code, game_music.DiskFull.exit_code,
            game_music.Cancelled.exit_code) == (2, 3, 4, 5, 130)


def test_a_bad_request_is_an_error_of_the_tree_and_a_value_error() -> None:
    import pytest

    with pytest.raises(game_music.InvalidRequest) as caught:
        game_music.MusicRequest(style="polka")
    assert isinstance(caught.value, game_music.UsageError)
    assert isinstance(caught.value, ValueError)
    assert caught.value.code == "usage"
