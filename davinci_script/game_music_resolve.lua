-- Add Game Music for DaVinci Resolve: the logic behind the Lua menu entry.
--
-- Plain Lua 5.1 (Resolve runs LuaJIT), no modules. It mirrors game_music_resolve.py step for
-- step: find the clip and range, render it when it maps to no single file, run the game-music
-- engine (a subprocess speaking JSON lines), import the results into the "Game Music" bin.
-- Resolve's API never raises: every answer is checked, every failure is one console line.

local M = {}

M.TITLE = "Add Game Music"
M.BIN_NAME = "Game Music"
M.CONFIG_NAME = "game_music_resolve.json"
M.BUILTIN_PROMPT = "add upbeat retro game background music"
local RENDER_TIMEOUT_S = 3 * 3600
local POLL_S = 0.25

local STOP = {}  -- marker for failures already explained in one line

math.randomseed(os.time() + math.floor((os.clock() % 1) * 1e6))

local function say(msg)
  print(M.TITLE .. ": " .. (tostring(msg):gsub("%s+", " ")))
end

local function stop(msg)
  error({ [STOP] = true, msg = msg }, 0)
end

-- Platform ------------------------------------------------------------------------------------

local SEP = package.config:sub(1, 1)
local WINDOWS = SEP == "\\"

local function os_name()
  if jit and jit.os then return jit.os end
  if WINDOWS then return "Windows" end
  local p = io.popen("uname -s 2>/dev/null")
  local out = p and p:read("*l") or ""
  if p then p:close() end
  return out == "Darwin" and "OSX" or "Linux"
end
local OS = os_name()

local function join(a, b)
  if a:sub(-1) == "/" or a:sub(-1) == SEP then return a .. b end
  return a .. SEP .. b
end

local function dirname(path)
  return path:match("^(.*)[/\\][^/\\]*$") or "."
end

local function basename(path)
  return path:match("([^/\\]+)$") or path
end

local function stem_of(path)
  local b = basename(path)
  return b:match("^(.*)%.[^.]*$") or b
end

local function is_file(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local ok = f:read(0) ~= nil or f:seek("end") ~= nil
  f:close()
  return ok
end

local function file_size(path)
  local f = io.open(path, "rb")
  if not f then return 0 end
  local size = f:seek("end") or 0
  f:close()
  return size
end

local function quote(arg, windows)
  arg = tostring(arg)
  if windows == nil then windows = WINDOWS end
  if windows then
    return '"' .. arg:gsub('(\\*)"', '%1%1\\"'):gsub("(\\+)$", "%1%1") .. '"'
  end
  return "'" .. arg:gsub("'", "'\\''") .. "'"
end

-- A folder as a word cmd.exe itself reads (for mkdir, rmdir): in real quotes, where & | < > ^
-- are plain text, and % (the one character cmd.exe still expands there) stepping out of the
-- quotes as ^% ("a"^%"b" reads a%b).
local function cmd_path(path)
  return '"' .. tostring(path):gsub("%%", '"^%%"') .. '"'
end
M.cmd_path = cmd_path

local function mkdir(path)
  if WINDOWS then
    os.execute('if not exist ' .. cmd_path(path) .. ' mkdir ' .. cmd_path(path))
  else
    os.execute("mkdir -p -- " .. quote(path) .. " 2>/dev/null")
  end
end

local function writable(folder)
  mkdir(folder)
  local probe = join(folder, ".game-music-" .. tostring(os.time()) .. tostring(math.random(1e6)))
  local f = io.open(probe, "w")
  if not f then return false end
  f:close()
  os.remove(probe)
  return true
end

local function unique(folder, stem, ext)
  local n = 1
  while true do
    local path = join(folder, stem .. (n > 1 and (" " .. n) or "") .. ext)
    if not is_file(path) then return path end
    n = n + 1
  end
end

local function clean_name(name)
  name = tostring(name or ""):gsub('[\\/:*?"<>|%c]+', " ")
  name = name:gsub("%s+", " "):gsub("^[%s.]+", ""):gsub("[%s.]+$", "")
  if name == "" then return "clip" end
  return name:sub(1, 80)
end

local function fps_text(fps)
  local s = string.format("%.3f", fps):gsub("0+$", ""):gsub("%.$", "")
  return s
end

local function number(v)
  if type(v) == "number" then return v end
  if type(v) == "string" then return tonumber(v:match("^%s*(%S+)")) end
  return nil
end

local function home()
  return os.getenv("HOME") or os.getenv("USERPROFILE") or "."
end

function M.fallback_dir()
  return join(join(home(), OS == "OSX" and "Movies" or "Videos"), "Game Music")
end

local function sleep(bmd, seconds)
  if type(bmd) == "table" and bmd.wait then
    bmd.wait(seconds)
  elseif WINDOWS then
    local t = os.clock() + seconds
    while os.clock() < t do end
  else
    os.execute("sleep " .. seconds)
  end
end

-- JSON (decode only: the config file and the engine's events) ---------------------------------

local json_value

local function skip(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local ESC = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r",
              t = "\t" }

local function utf8_char(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then
    return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40)
  end
  if cp < 0x10000 then
    return string.char(0xE0 + math.floor(cp / 0x1000), 0x80 + math.floor(cp / 0x40) % 0x40,
      0x80 + cp % 0x40)
  end
  return string.char(0xF0 + math.floor(cp / 0x40000), 0x80 + math.floor(cp / 0x1000) % 0x40,
    0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local function json_string(s, i)
  local out, j = {}, i + 1
  while true do
    local c = s:sub(j, j)
    if c == "" then error("unterminated string") end
    if c == '"' then return table.concat(out), j + 1 end
    if c == "\\" then
      local e = s:sub(j + 1, j + 1)
      if e == "u" then
        local cp = tonumber(s:sub(j + 2, j + 5), 16) or 63
        j = j + 6
        if cp >= 0xD800 and cp < 0xDC00 and s:sub(j, j + 1) == "\\u" then
          local lo = tonumber(s:sub(j + 2, j + 5), 16) or 0xDC00
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
          j = j + 6
        end
        out[#out + 1] = utf8_char(cp)
      else
        out[#out + 1] = ESC[e] or e
        j = j + 2
      end
    else
      local k = s:find('["\\]', j) or #s + 1
      out[#out + 1] = s:sub(j, k - 1)
      j = k
    end
  end
end

json_value = function(s, i)
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == "{" then
    local obj = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "}" then return obj, i + 1 end
    while true do
      local key
      key, i = json_string(s, skip(s, i))
      i = skip(s, i)
      if s:sub(i, i) ~= ":" then error("expected ':'") end
      obj[key], i = json_value(s, i + 1)
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "}" then return obj, i + 1 end
      if d ~= "," then error("expected ','") end
      i = i + 1
    end
  elseif c == "[" then
    local arr = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "]" then return arr, i + 1 end
    while true do
      arr[#arr + 1], i = json_value(s, i)
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "]" then return arr, i + 1 end
      if d ~= "," then error("expected ','") end
      i = i + 1
    end
  elseif c == '"' then
    return json_string(s, i)
  elseif s:sub(i, i + 3) == "true" then
    return true, i + 4
  elseif s:sub(i, i + 4) == "false" then
    return false, i + 5
  elseif s:sub(i, i + 3) == "null" then
    return nil, i + 4
  end
  local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if not num or num == "" then error("bad JSON at " .. i) end
  return tonumber(num), i + #num
end

function M.json_decode(s)
  local ok, value = pcall(json_value, s, 1)
  if ok then return value end
  return nil
end

function M.load_config(folder)
  local f = io.open(join(folder, M.CONFIG_NAME), "r")
  if not f then return {} end
  local data = M.json_decode(f:read("*a") or "")
  f:close()
  return type(data) == "table" and data or {}
end

function M.default_prompt(config)
  local env = os.getenv("GAME_MUSIC_PROMPT")
  if env and env ~= "" then return env end
  if type(config.default_prompt) == "string" and config.default_prompt ~= "" then
    return config.default_prompt
  end
  return M.BUILTIN_PROMPT
end

-- Versions ------------------------------------------------------------------------------------

local function version_of(resolve)
  local v = resolve:GetVersion()
  local out = { 0, 0, 0 }
  if type(v) == "table" then
    for k = 1, 3 do out[k] = number(v[k]) or 0 end
  end
  return out
end

local function at_least(v, a, b, c)
  if v[1] ~= a then return v[1] > a end
  if v[2] ~= b then return v[2] > b end
  return v[3] >= c
end

local function is_studio(resolve)
  return tostring(resolve:GetProductName() or ""):lower():find("studio") ~= nil
end

local function list(t)
  if type(t) ~= "table" then return {} end
  local out = {}
  for _, v in ipairs(t) do if v then out[#out + 1] = v end end
  return out
end

-- Finding the clip ----------------------------------------------------------------------------

local function timeline_fps(project, timeline)
  for _, obj in ipairs({ timeline or false, project }) do
    if obj then
      local fps = number(obj:GetSetting("timelineFrameRate"))
      if fps and fps > 0 then return fps end
    end
  end
  return 24.0
end

local function mark_pair(marks)
  if type(marks) ~= "table" then return nil end
  for _, key in ipairs({ "video", "audio" }) do
    local m = marks[key]
    if type(m) == "table" and number(m["in"]) and number(m["out"]) then
      return math.floor(number(m["in"])), math.floor(number(m["out"]))
    end
  end
  return nil
end

local function timeline_marks(timeline, v)
  if not at_least(v, 19, 1, 0) then return nil end
  local lo, hi = mark_pair(timeline:GetMarkInOut())
  if not lo then return nil end
  local start = number(timeline:GetStartFrame()) or 0
  -- Reported to be offsets from the timeline start; accept absolute values too.
  if lo < start then lo = start + lo end
  if hi < start then hi = start + hi end
  if hi < lo then return nil end
  return lo, hi + 1
end

local function source_path(mpi)
  if not mpi then return nil end
  local path = mpi:GetClipProperty("File Path")
  if type(path) ~= "string" or path == "" or not is_file(path) then return nil end
  return path
end

local function round(x)
  return math.floor(x + 0.5)
end

local function from_timeline_item(item, project, timeline, v)
  local start = number(item:GetStart()) or 0
  local finish = number(item:GetEnd()) or 0
  if finish <= start then stop("the clip on the timeline has no length") end
  local lo, hi = start, finish
  local mlo, mhi = timeline_marks(timeline, v)
  if mlo then
    lo, hi = math.max(start, mlo), math.min(finish, mhi)
    if hi <= lo then stop("the In/Out marks do not overlap the clip - clear them or move them") end
  end
  local tl_fps = timeline_fps(project, timeline)
  local mpi = item:GetMediaPoolItem()
  local path = source_path(mpi)
  if path then
    local src_fps = number(mpi:GetClipProperty("FPS")) or tl_fps
    local ratio = src_fps / tl_fps
    local left = number(item:GetLeftOffset()) or 0
    return { name = stem_of(path), path = path, fps = src_fps, record = lo,
             start = round(left + (lo - start) * ratio), finish = round(left + (hi - start) * ratio) }
  end
  return { name = clean_name(item:GetName() or timeline:GetName()), fps = tl_fps, record = lo,
           render_in = lo, render_out = hi - 1 }
end

local function from_pool_item(mpi, v)
  local path = source_path(mpi)
  if not path then
    stop("the selected media-pool clip has no source file - put it on a timeline and select it there")
  end
  local t = { name = stem_of(path), path = path, fps = number(mpi:GetClipProperty("FPS")) }
  if at_least(v, 19, 1, 0) then
    local lo, hi = mark_pair(mpi:GetMarkInOut())
    if lo and hi >= lo then t.start, t.finish = lo, hi + 1 end
  end
  return t
end

local function track_type(item)
  local tt = item:GetTrackTypeAndIndex()
  if type(tt) == "table" and tt[1] then return tt[1] end
  return "video"
end

function M.find_target(resolve, project, v)
  local timeline = project:GetCurrentTimeline()
  local pool = project:GetMediaPool()
  if timeline and at_least(v, 21, 0, 4) then
    local items, video = list(timeline:GetSelectedClips()), {}
    for _, i in ipairs(items) do if track_type(i) == "video" then video[#video + 1] = i end end
    if #video > 0 then items = video end
    if #items > 0 then
      table.sort(items, function(a, b) return (number(a:GetStart()) or 0) < (number(b:GetStart()) or 0) end)
      if #items > 1 then say(#items .. " clips selected - using the first one") end
      return from_timeline_item(items[1], project, timeline, v)
    end
  end
  if pool and at_least(v, 19, 0, 2) then
    local clips = list(pool:GetSelectedClips())
    if #clips > 0 then return from_pool_item(clips[1], v) end
  end
  if timeline then
    local item = timeline:GetCurrentVideoItem()
    if item then return from_timeline_item(item, project, timeline, v) end
  end
  stop("nothing selected - select a clip on the timeline or in the media pool, or park the playhead over one")
end

-- Rendering a range ---------------------------------------------------------------------------

local MOV_CODECS = { "ProRes422", "ProRes422LT", "ProRes422HQ", "DNxHR", "DNxHD" }
local MP4_CODECS = { "H264", "H264_NVIDIA", "H264_AMD", "H264_INTEL" }

local function values(t)
  local out = {}
  if type(t) == "table" then for _, v in pairs(t) do out[#out + 1] = tostring(v) end end
  table.sort(out)
  return out
end

local function pick_format(project, prefer_mov)
  -- Linux Resolve encodes no AAC: prefer a MOV with PCM there so the game audio survives.
  local exts = {}
  for _, e in ipairs(values(project:GetRenderFormats())) do exts[e] = true end
  local mp4, mov = {}, {}
  if exts.mp4 then
    local ids = {}
    for _, c in ipairs(values(project:GetRenderCodecs("mp4"))) do ids[c] = true end
    for _, c in ipairs(MP4_CODECS) do if ids[c] then mp4[#mp4 + 1] = { "mp4", c } end end
  end
  if exts.mov then
    local ids, seen = values(project:GetRenderCodecs("mov")), {}
    for _, want in ipairs(MOV_CODECS) do
      for _, c in ipairs(ids) do
        if c:sub(1, #want) == want and not seen[c] then
          seen[c] = true
          mov[#mov + 1] = { "mov", c }
        end
      end
    end
  end
  local first, second = mp4, mov
  if prefer_mov then first, second = mov, mp4 end
  for _, group in ipairs({ first, second }) do
    for _, fc in ipairs(group) do
      -- A format may list a codec it then refuses: the Bool is the truth.
      if project:SetCurrentRenderFormatAndCodec(fc[1], fc[2]) then return fc[1], fc[2] end
    end
  end
  stop("this Resolve offers no MP4/H.264 or MOV render format to send the clip with")
end

function M.render_range(resolve, project, target, folder, bmd)
  local page = resolve:GetCurrentPage()
  resolve:OpenPage("deliver")
  local jid
  local ok, err = pcall(function()
    local fmt, codec = pick_format(project, OS == "Linux")
    project:SetCurrentRenderMode(1)
    local name = clean_name(target.name) .. " render " .. os.time()
    local settings = {
      SelectAllFrames = false, MarkIn = target.render_in, MarkOut = target.render_out,
      TargetDir = folder, CustomName = name, ExportVideo = true, ExportAudio = true,
    }
    if fmt == "mp4" and OS ~= "Linux" then settings.AudioCodec = "aac" end
    if not project:SetRenderSettings(settings) then stop("Resolve refused the render settings") end
    jid = project:AddRenderJob()
    if not jid or jid == "" then
      stop("Resolve could not add a render job (is the render folder writable?)")
    end
    if not project:StartRendering({ jid }) then stop("Resolve could not start rendering") end
    say("rendering the range with " .. fmt .. "/" .. codec)
    local deadline, shown = os.time() + RENDER_TIMEOUT_S, -10
    while project:IsRenderingInProgress() do
      if os.time() > deadline then
        project:StopRendering()
        stop("rendering took too long and was stopped")
      end
      local st = project:GetRenderJobStatus(jid)
      local pct = type(st) == "table" and number(st.CompletionPercentage) or 0
      if pct >= shown + 10 then
        shown = pct - pct % 10
        say("render " .. shown .. "%")
      end
      sleep(bmd, POLL_S)
    end
    local status = project:GetRenderJobStatus(jid)
    if type(status) ~= "table" then status = {} end
    local path
    for _, job in ipairs(list(project:GetRenderJobList())) do
      if type(job) == "table" and job.JobId == jid and job.TargetDir and job.OutputFilename then
        path = join(job.TargetDir, job.OutputFilename)
      end
    end
    path = path or join(folder, name .. "." .. fmt)
    local state = tostring(status.JobStatus or "")
    if state ~= "Complete" then
      local why = status.Error or (state ~= "" and state) or "no status"
      stop("Resolve could not render the clip (" .. tostring(why) .. ")")
    end
    if file_size(path) == 0 then
      stop("Resolve reported the render done but wrote no file at " .. path)
    end
    return path
  end)
  if jid and jid ~= "" then project:DeleteRenderJob(jid) end
  if page then resolve:OpenPage(page) end
  if not ok then error(err, 0) end
  return err
end

-- The engine ----------------------------------------------------------------------------------

-- The engine's arguments: free text as --opt=VALUE and the clip after "--", so a prompt such
-- as "-6 dB music" or a clip named "-take 2.mov" is never read as an option.
function M.engine_args(source, prompt, out, target, os_name)
  local base = out:sub(1, -5)
  local args = { "add", "--json", "--prompt=" .. prompt, "--output=" .. out,
    "--stem=" .. base .. ".wav" }
  if os_name == "Linux" then args[#args + 1] = "--pcm-mov=" .. base .. " pcm.mov" end
  if target.path and target.start then
    args[#args + 1] = "--start=" .. target.start .. "f"
    args[#args + 1] = "--end=" .. target.finish .. "f"
    if target.fps then args[#args + 1] = "--fps=" .. fps_text(target.fps) end
  end
  args[#args + 1] = "--"
  args[#args + 1] = source
  return args
end

-- Command lines ------------------------------------------------------------------------------
-- io.popen always goes through a shell. POSIX sh takes single-quoted words literally. cmd.exe
-- has no quoting that stops %VAR% expansion (and mangles " and non-ANSI text), so on Windows
-- only the engine and a file holding the arguments as JSON are on the line: clip names,
-- prompts and folders never meet cmd.exe.

local function json_encode_strings(list_of)
  local out = {}
  for i, a in ipairs(list_of) do
    out[i] = '"' .. tostring(a):gsub('[%c"\\]', function(c)
      if c == '"' then return '\\"' elseif c == "\\" then return "\\\\" end
      return string.format("\\u%04x", c:byte())
    end) .. '"'
  end
  return "[" .. table.concat(out, ",") .. "]"
end
M.json_encode_strings = json_encode_strings

-- Text cmd.exe passes through unchanged inside double quotes.
function M.cmd_safe(text)
  return not text:find('[%%"!\128-\255%c]')
end

-- The shell command for ``engine`` + ``args``; on Windows also the arguments file to write
-- (and remove afterwards). ``folders`` are places for that file, the first cmd-safe one used.
function M.command_line(engine, args, windows, folders)
  local parts = {}
  if not windows then
    for _, a in ipairs(engine) do parts[#parts + 1] = quote(a, false) end
    for _, a in ipairs(args) do parts[#parts + 1] = quote(a, false) end
    return table.concat(parts, " ") .. " 2>&1", nil
  end
  for _, a in ipairs(engine) do
    if not M.cmd_safe(a) then
      stop("cannot start the engine from " .. a .. ": its path has characters Windows' shell " ..
        "rewrites (%, \", !, or non-ASCII) - reinstall it in a plain folder")
    end
    parts[#parts + 1] = quote(a, true)
  end
  local file
  for _, folder in ipairs(folders) do
    if folder and folder ~= "" and M.cmd_safe(folder) then
      local name = "game-music-args-" .. tostring(os.time()) .. "-" ..
        tostring(math.random(1e6)) .. ".json"
      file = folder .. ((folder:sub(-1) == "\\" or folder:sub(-1) == "/") and "" or "\\") .. name
      break
    end
  end
  if not file then
    stop("no folder for the engine's arguments whose name Windows' shell leaves alone " ..
      "(set TEMP to a plain folder such as C:\\Temp)")
  end
  parts[#parts + 1] = "--args-file"
  parts[#parts + 1] = quote(file, true)
  -- cmd.exe strips one pair of outer quotes from the whole line.
  return '"' .. table.concat(parts, " ") .. ' 2>&1"', file, json_encode_strings(args)
end

function M.run_engine(engine, args)
  local cmd, file, content = M.command_line(engine, args, WINDOWS,
    { os.getenv("TEMP"), os.getenv("TMP"), os.getenv("LOCALAPPDATA") })
  if file then
    local f = io.open(file, "wb")
    if not f then stop("cannot write the engine's arguments to " .. file) end
    f:write(content)
    f:close()
  end
  local p = io.popen(cmd, "r")
  if not p then stop("cannot start the game-music engine - run install.py again") end
  local done, failed, last = nil, nil, nil
  local shown, stage = -10, nil
  for line in p:lines() do
    local ev = line:sub(1, 1) == "{" and M.json_decode(line) or nil
    if type(ev) == "table" then
      if ev.event == "progress" then
        local pct = math.floor(100 * (number(ev.fraction) or 0))
        if pct >= shown + 10 or ev.stage ~= stage then
          shown, stage = pct - pct % 10, ev.stage
          say(tostring(stage) .. " " .. pct .. "%")
        end
      elseif ev.event == "done" then
        done = ev
      elseif ev.event == "error" then
        failed = ev
      end
    elseif line:match("%S") then
      last = line
    end
  end
  p:close()
  if file then os.remove(file) end
  if failed then
    stop("the engine failed (" .. tostring(failed.code) .. "): " .. tostring(failed.message))
  end
  if not done then
    stop("the engine stopped" .. (last and (": " .. last) or " without a result"))
  end
  return done
end

-- Importing -----------------------------------------------------------------------------------

function M.find_or_make_bin(pool)
  local root = pool:GetRootFolder()
  if not root then stop("cannot reach the media pool") end
  for _, folder in ipairs(list(root:GetSubFolderList())) do
    if folder:GetName() == M.BIN_NAME then return folder end
  end
  local made = pool:AddSubFolder(root, M.BIN_NAME)
  if not made then stop("cannot create the '" .. M.BIN_NAME .. "' bin") end
  return made
end

function M.import_into_bin(pool, paths, v)
  local target = M.find_or_make_bin(pool)
  local current = pool:GetCurrentFolder()
  local ok, items = pcall(function()
    if not pool:SetCurrentFolder(target) then stop("cannot open the '" .. M.BIN_NAME .. "' bin") end
    local arg = {}
    for k, p in ipairs(paths) do
      -- 21.1 deprecates the plain-path form in favour of {FilePath = ...}.
      arg[k] = at_least(v, 21, 1, 0) and { FilePath = p } or p
    end
    return list(pool:ImportMedia(arg))
  end)
  if current then pool:SetCurrentFolder(current) end
  if not ok then error(items, 0) end
  return items
end

local function place_on_timeline(pool, timeline, item, record)
  if not timeline or not item or not record then return false end
  if not timeline:AddTrack("video") or not timeline:AddTrack("audio", "stereo") then return false end
  local v = number(timeline:GetTrackCount("video")) or 0
  local a = number(timeline:GetTrackCount("audio")) or 0
  local frames = number(item:GetClipProperty("Frames")) or 0
  if frames == 0 or v == 0 or a == 0 then return false end
  local placed = pool:AppendToTimeline({
    { mediaPoolItem = item, startFrame = 0, endFrame = frames, mediaType = 1,
      trackIndex = v, recordFrame = record },
    { mediaPoolItem = item, startFrame = 0, endFrame = frames, mediaType = 2,
      trackIndex = a, recordFrame = record },
  })
  return type(placed) == "table" and #placed > 0
end

-- The prompt dialog ---------------------------------------------------------------------------

function M.ask_prompt(resolve, fusion, bmd, default, v)
  -- Touching fusion.UIManager on free 19.1+ pops an upsell dialog and answers nil.
  if not fusion or not bmd or (at_least(v, 19, 1, 0) and not is_studio(resolve)) then
    return default
  end
  local ui = fusion.UIManager
  if not ui then return default end
  local disp = bmd.UIDispatcher(ui)
  if not disp then return default end
  local win = disp:AddWindow({ ID = "GameMusicPrompt", WindowTitle = M.TITLE,
                               Geometry = { 200, 200, 520, 110 } },
    ui:VGroup({
      ui:Label({ Text = "What music do you want?" }),
      ui:LineEdit({ ID = "Prompt", Text = default }),
      ui:HGroup({ ui:Button({ ID = "OK", Text = "Add music" }),
                  ui:Button({ ID = "Cancel", Text = "Cancel" }) }),
    }))
  if not win then return default end
  local ok = false
  win.On.OK.Clicked = function(ev) ok = true; disp:ExitLoop() end
  win.On.Cancel.Clicked = function(ev) disp:ExitLoop() end
  win.On.GameMusicPrompt.Close = function(ev) disp:ExitLoop() end
  win:Show()
  disp:RunLoop()
  local text = ""
  local items = win:GetItems()
  if ok and type(items) == "table" and items.Prompt then
    text = tostring(items.Prompt.Text or ""):match("^%s*(.-)%s*$")
  end
  win:Hide()
  if not ok then return nil end
  if text == "" then return default end
  return text
end

-- The whole job -------------------------------------------------------------------------------

local function output_folder(config, target)
  if type(config.output_dir) == "string" and config.output_dir ~= "" then
    local folder = config.output_dir:gsub("^~", home())
    if not writable(folder) then
      stop("cannot write to the output folder " .. folder .. " (read-only?) - change output_dir in "
        .. M.CONFIG_NAME)
    end
    return folder
  end
  local first = target.path and dirname(target.path) or nil
  if first and writable(first) then return first end
  local fb = M.fallback_dir()
  if not writable(fb) then stop("cannot write next to the clip or to " .. fb .. " (read-only?)") end
  if first then say(first .. " is read-only - writing to " .. fb) end
  return fb
end

local function remove_tree(folder)
  if WINDOWS then
    os.execute("rmdir /s /q " .. cmd_path(folder))
  else
    os.execute("rm -rf -- " .. quote(folder))
  end
end

local function temp_folder()
  local base = os.getenv("TMPDIR") or os.getenv("TEMP") or os.getenv("TMP") or "/tmp"
  local folder = join(base, "game-music-render-" .. os.time() .. "-" .. math.random(1e6))
  mkdir(folder)
  return folder
end

function M.run(resolve, fusion, bmd, script_dir)
  if not resolve then stop("Resolve is not available - run this from Workspace > Scripts") end
  local config = M.load_config(script_dir)
  local engine = config.engine
  if type(engine) ~= "table" or #engine == 0 then
    stop("the engine is not configured - run install.py again")
  end
  local v = version_of(resolve)
  local pm = resolve:GetProjectManager()
  local project = pm and pm:GetCurrentProject()
  if not project then stop("no project is open") end
  local pool = project:GetMediaPool()
  if not pool then stop("cannot reach the media pool") end
  local target = M.find_target(resolve, project, v)
  local out_dir = output_folder(config, target)
  local prompt = M.ask_prompt(resolve, fusion, bmd, M.default_prompt(config), v)
  if not prompt then stop("cancelled") end

  local work
  local ok, res = pcall(function()
    local source = target.path
    if not source then
      work = temp_folder()
      source = M.render_range(resolve, project, target, work, bmd)
    end
    local out = unique(out_dir, clean_name(target.name) .. " (game music)", ".mp4")
    local args = M.engine_args(source, prompt, out, target, OS)
    say("sending " .. basename(source) .. " to the engine")
    local done = M.run_engine(engine, args)
    done.output = done.output or out
    return done
  end)
  if work then remove_tree(work) end
  if not ok then error(res, 0) end
  local done = res

  local paths = {}
  for _, p in ipairs({ done.output, done.stem or false, done.pcm_mov or false }) do
    if p and is_file(p) then paths[#paths + 1] = p end
  end
  if #paths == 0 then stop("the engine reported success but wrote no file") end
  local items = M.import_into_bin(pool, paths, v)
  if #items == 0 then
    stop("Resolve could not import " .. done.output .. " (the file is there - drag it in by hand)")
  end
  if config.place_on_timeline then
    -- On Linux Resolve cannot decode AAC: place the PCM variant when there is one.
    local want = (OS == "Linux" and done.pcm_mov) or done.output
    local chosen = items[1]
    for _, i in ipairs(items) do
      if i:GetClipProperty("File Path") == want then chosen = i end
    end
    if not place_on_timeline(pool, project:GetCurrentTimeline(), chosen, target.record) then
      say("imported, but could not place it on the timeline")
    end
  end
  say("done - " .. basename(done.output) .. " is in the '" .. M.BIN_NAME .. "' bin")
  return true
end

function M.main(resolve, fusion, bmd, script_dir)
  local ok, err = pcall(M.run, resolve, fusion, bmd, script_dir)
  if ok then return true end
  if type(err) == "table" and err[STOP] then
    say(err.msg)
  else
    say("unexpected error: " .. tostring(err))
  end
  return false
end

return M
