"""Run the Lua menu entry inside lupa (LuaJIT, like Resolve) against the Python fake.

Resolve hands Lua scripts proxies that answer ``obj:Method(...)`` and return plain Lua tables
for lists and dicts; this bridge gives the fake the same shape.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    from lupa import luajit21 as _lua
except ImportError:  # pragma: no cover - builds without LuaJIT
    from lupa import lua51 as _lua

_PLAIN = (type(None), bool, int, float, str)

_PROXY = """
local get, set = ...
return function(handle)
  return setmetatable({ __py = handle }, {
    __index = function(t, k) return get(handle, k) end,
    __newindex = function(t, k, v) set(handle, k, v) end,
  })
end
"""


class LuaHost:
    def __init__(self, print_fn: Callable[[str], None]) -> None:
        self.lua = _lua.LuaRuntime(unpack_returned_tuples=True)
        self._proxy = self.lua.execute(_PROXY, self._get, self._set)
        g = self.lua.globals()
        g.print = lambda *args: print_fn(" ".join(self._str(a) for a in args))

    def _str(self, value: Any) -> str:
        return self.lua.globals().tostring(value)

    # Python -> Lua
    def to_lua(self, value: Any) -> Any:
        if isinstance(value, _PLAIN):
            return value
        if isinstance(value, (list, tuple)):
            return self.lua.table_from([self.to_lua(v) for v in value])
        if isinstance(value, dict):
            return self.lua.table_from({k: self.to_lua(v) for k, v in value.items()})
        if not _is_object(value):
            return self._function(value, None)
        return self._proxy(value)

    # Lua -> Python
    def to_py(self, value: Any) -> Any:
        kind = _lua.lua_type(value)
        if kind == "table":
            handle = self.lua.globals().rawget(value, "__py")
            if handle is not None:
                return handle
            items = {k: self.to_py(v) for k, v in value.items()}
            if items and all(isinstance(k, int) for k in items) and \
                    sorted(items) == list(range(1, len(items) + 1)):
                return [items[i] for i in range(1, len(items) + 1)]
            return items
        if kind == "function":
            fn = value
            return lambda *args: fn(*[self.to_lua(a) for a in args])
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def _function(self, fn: Callable[..., Any], owner: Any) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            # obj:Method(...) passes the proxy itself first; drop it.
            if args and owner is not None and _lua.lua_type(args[0]) == "table" and \
                    self.lua.globals().rawget(args[0], "__py") is owner:
                args = args[1:]
            return self.to_lua(fn(*[self.to_py(a) for a in args]))
        return call

    def _get(self, handle: Any, key: Any) -> Any:
        value = getattr(handle, str(key), None)
        if not _is_object(value):
            return self._function(value, handle)
        return self.to_lua(value)

    def _set(self, handle: Any, key: Any, value: Any) -> None:
        setattr(handle, str(key), self.to_py(value))

    def run_file(self, path: Path, **globals_: Any) -> None:
        """Run the file's source as a chunk that does not name its file (as a host that reads
        the script and runs the text may): the entry must find its folder some other way."""
        g = self.lua.globals()
        for name, value in globals_.items():
            g[name] = self.to_lua(value)
        chunk = g.loadstring(path.read_bytes(), "=" + path.stem)
        assert chunk is not None, f"{path.name} does not compile"
        chunk()


def _is_object(value: Any) -> bool:
    """API objects (proxied) vs functions and bound methods (called)."""
    return not isinstance(value, (types.FunctionType, types.MethodType,
                                  types.BuiltinFunctionType))
