-- DaVinci Resolve > Workspace > Scripts > Add Game Music (Lua).
--
-- Sends the selected clip (or the In/Out range) to game-music and imports the result into the
-- "Game Music" bin. Works on the free edition of Resolve 21.1+, which no longer lists Python
-- menu scripts. The logic lives in game_music_resolve.lua beside this file (installed as
-- .lualib so the Scripts menu does not list it).

-- The installer writes the folder it installed this file into on the next line: the folder
-- may be any Scripts folder (per-user, all-users, portable, --resolve-scripts DIR).
local INSTALLED_IN = nil

local function has_helper(dir)
  local sep = package.config:sub(1, 1)
  for _, name in ipairs({ "game_music_resolve.lualib", "game_music_resolve.lua" }) do
    local f = io.open(dir .. sep .. name, "r")
    if f then f:close() return true end
  end
  return false
end

local function script_dir()
  if INSTALLED_IN and has_helper(INSTALLED_IN) then return INSTALLED_IN end
  local src = debug and debug.getinfo and debug.getinfo(1, "S").source or ""
  if src:sub(1, 1) == "@" then
    local dir = src:sub(2):match("^(.*)[/\\][^/\\]*$")
    if dir and has_helper(dir) then return dir end
  end
  local sep = package.config:sub(1, 1)
  local home = os.getenv("HOME") or ""
  local roots
  if sep == "\\" then
    roots = { (os.getenv("APPDATA") or "") .. "\\Blackmagic Design\\DaVinci Resolve\\Support\\Fusion\\Scripts",
      (os.getenv("PROGRAMDATA") or "") .. "\\Blackmagic Design\\DaVinci Resolve\\Fusion\\Scripts" }
  elseif jit and jit.os == "OSX" then
    roots = { home .. "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
      "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts" }
  else
    roots = { home .. "/.local/share/DaVinciResolve/Fusion/Scripts", "/opt/resolve/Fusion/Scripts" }
  end
  for _, root in ipairs(roots) do
    if has_helper(root .. sep .. "Utility") then return root .. sep .. "Utility" end
  end
  return roots[1] .. sep .. "Utility"
end

local function load_helper(dir)
  local sep = package.config:sub(1, 1)
  for _, name in ipairs({ "game_music_resolve.lualib", "game_music_resolve.lua" }) do
    local path = dir .. sep .. name
    local f = io.open(path, "r")
    if f then
      f:close()
      local ok, mod = pcall(dofile, path)
      if ok then return mod end
      return nil, tostring(mod)
    end
  end
  return nil, "not found"
end

local dir = script_dir()
local helper, why = load_helper(dir)
if not helper then
  print("Add Game Music: cannot load game_music_resolve from " .. dir .. " (" .. why ..
    ") - run install.py again")
else
  local ok, host = pcall(function() return Resolve() end)
  if not ok then host = nil end
  helper.main(host, fusion or fu, bmd, dir)
end
