-- wrk script of the WeChat callback benchmark (bench/callback.py): replays pre-signed WeChat
-- deliveries (wrk's Lua has no SHA-1, so bench/callback.py signs them beforehand), each at most
-- once, and tallies the answers.
--
--   wrk -t2 -c32 -d15s -s bench/callback.lua URL -- FILE START THREADS WRAP MODE
--
-- FILE has one delivery per line: the query string (signature, timestamp, nonce, openid, and
-- in safe mode encrypt_type and msg_signature), a tab, and the XML body. Thread T of THREADS
-- sends lines T, T + THREADS, T + 2 x THREADS, ... starting at line START (a multiple of
-- THREADS), so the threads together send the file in order and no line twice. Past the end of
-- the file a thread wraps around when WRAP is 1 (the bare app, which keeps nothing), and
-- otherwise counts the request as "exhausted" and sends GET /healthz instead (bench/callback.py
-- then reports that it needs more messages). MODE "callback" expects 200 with an XML reply;
-- "bare" expects the bare app's 201. done() prints one line "WRK_RESULT {json}".

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  table.insert(threads, thread)
  next_tid = next_tid + 1
end

local queries = {}
local bodies = {}
local count = 0
local wrap = false
local expect = 200

first = 0 -- this thread's first line (its own numbering)
pos = 0 -- this thread's next line (its own numbering)
ok = 0 -- the expected answer: 200 with an XML reply (callback), 201 (bare)
empty = 0 -- 200 "success": ParkLead had nothing to say (a text must always get a reply)
other = 0 -- any other answer
exhausted = 0 -- requests for which no unused delivery was left
last_other = ""

function init(args)
  local file = args[1]
  local start = tonumber(args[2])
  local nthreads = tonumber(args[3])
  wrap = args[4] == "1"
  if args[5] == "bare" then
    expect = 201
  end
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == tid then
      local tab = string.find(line, "\t", 1, true)
      count = count + 1
      queries[count] = string.sub(line, 1, tab - 1)
      bodies[count] = string.sub(line, tab + 1)
    end
    i = i + 1
  end
  first = math.floor(start / nthreads)
  pos = first
  wrk.headers["Content-Type"] = "text/xml"
end

local checked = false

function request()
  if tid == 0 and not checked then
    -- wrk builds one request of thread 0 to check the script and never sends it: a dummy,
    -- so that no delivery is taken and lost.
    checked = true
    return wrk.format("GET", "/healthz")
  end
  local k = pos
  pos = pos + 1
  if k >= count then
    if not wrap or count == 0 then
      exhausted = exhausted + 1
      return wrk.format("GET", "/healthz")
    end
    k = k % count
  end
  return wrk.format("POST", wrk.path .. "?" .. queries[k + 1], nil, bodies[k + 1])
end

function response(status, headers, body)
  if status == expect and (expect == 201 or string.sub(body or "", 1, 5) == "<xml>") then
    ok = ok + 1
  elseif status == 200 and body == "success" then
    empty = empty + 1
  else
    other = other + 1
    last_other = status .. " " .. string.sub(body or "", 1, 200)
  end
end

local function json_string(s)
  return '"' .. string.gsub(s, '[%c"\\]', " ") .. '"'
end

function done(summary, latency, requests)
  local k, em, ot, x, sample, positions = 0, 0, 0, 0, "", {}
  for _, thread in ipairs(threads) do
    k = k + thread:get("ok")
    em = em + thread:get("empty")
    ot = ot + thread:get("other")
    x = x + thread:get("exhausted")
    local s = thread:get("last_other")
    if s ~= "" then
      sample = s
    end
    -- Lines this thread took (threads in the order of their tid).
    table.insert(positions, tostring(thread:get("pos") - thread:get("first")))
  end
  local err = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,'
      .. '"ok":%d,"empty":%d,"other":%d,"exhausted":%d,"sample_other":%s,'
      .. '"taken_per_thread":[%s],'
      .. '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, k, em, ot, x, json_string(sample),
    table.concat(positions, ","),
    err.connect, err.read, err.write, err.status, err.timeout
  ))
end
