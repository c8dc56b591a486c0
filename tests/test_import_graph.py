"""The package's imports point down the pipeline and never go round in a circle.

Every import is read from the source (module level, inside functions and under TYPE_CHECKING
alike: a lazy import is still a dependency). Each top-level module or package of game_music
sits on a layer; an import may go to its own unit or to a lower layer, never up. A new circle
or upward arrow fails here, not in a review.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "shared" / "game_music"

# Lowest first. Units on one layer may not import each other, except on the entry layer
# (commands that start other commands).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_errors", "events", "_memory", "_scipy_import", "_prompt_words", "serve_client"),
    ("request", "config", "_fork", "_progress", "_prompt_fuzzy", "_prompt_patterns",
     "_leftovers"),
    ("game_music", "mix", "prompt", "_joblog"),
    ("media",),
    ("analysis", "demo"),
    ("music",),
    ("report",),
    ("backends",),
    ("jobs",),
    ("_cluster",),
    ("batch", "refine", "doctor"),
    ("cli", "serve", "_warm_pool", "obs", "__main__"),
)
ENTRY = LAYERS[-1]
# Installer helpers loaded by path before any environment exists: standard library only.
STANDALONE = ("hosts",)
# Circles that exist today, each with why: none (serve, obs watch and the warm pool are handed
# the CLI's main instead of importing it); the set may only shrink.
KNOWN_CIRCLES: dict[frozenset[str], str] = {}


@functools.cache  # read once for all the tests here
def _modules() -> dict[str, Path]:
    mods = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = f
    return mods


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path in mods.items():
        tree = _parse(path)
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in mods else module
                           for a in node.names]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    edges.setdefault(name, set()).add(t)
    return edges


@functools.cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "game_music"


def _circles(nodes: list[str], edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(frozenset(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def test_every_unit_has_a_layer() -> None:
    units = {_unit(m) for m in _modules()} - set(STANDALONE)
    placed = {u for layer in LAYERS for u in layer}
    assert units - placed == set(), "new modules need a place in LAYERS"


def test_no_import_goes_up_a_layer() -> None:
    rank = {u: i for i, layer in enumerate(LAYERS) for u in layer}
    upward = []
    for a, targets in _imports(_modules()).items():
        ua = _unit(a)
        if ua in STANDALONE:
            continue
        for b in targets:
            ub = _unit(b)
            if ua == ub or (ua in ENTRY and ub in ENTRY):
                continue
            if rank[ub] >= rank[ua]:
                upward.append(f"{a} -> {b}")
    assert upward == []


def test_no_new_import_circles() -> None:
    mods = _modules()
    circles = _circles(list(mods), _imports(mods))
    assert [sorted(c) for c in circles if c not in KNOWN_CIRCLES] == []
    # A circle that is gone leaves the list too: the known ones can only shrink.
    assert [sorted(c) for c in KNOWN_CIRCLES if c not in circles] == []


def test_installer_helpers_import_nothing_of_the_package() -> None:
    edges = _imports(_modules())
    assert {a: t for a, t in edges.items() if _unit(a) in STANDALONE} == {}


def test_the_checker_sees_a_planted_circle_and_an_upward_import() -> None:
    edges = {"game_music.a": {"game_music.b"}, "game_music.b": {"game_music.a"}}
    assert _circles(["game_music.a", "game_music.b"], edges) == [
        frozenset({"game_music.a", "game_music.b"})]
    # music importing backends would be upward: the rank check catches it.
    rank = {u: i for i, layer in enumerate(LAYERS) for u in layer}
    assert rank["backends"] > rank["music"]


def test_ffmpeg_is_started_by_the_one_runner_only() -> None:
    """media/ffmpeg.py owns every ffmpeg launch (binary override, error mapping, stopping)."""
    launching = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if name != "game_music.media.ffmpeg" and "ffmpeg_exe" in text and (
                "subprocess." in text or "Popen" in text):
            launching.append(name)
    assert launching == []
