-- wrk script for the screening endpoints: each connection cycles through the addresses of a
-- file (one per line), starting at its own offset, and asks PATH_PREFIX .. address .. QUERY
-- (QUERY, e.g. "?date=2030-01-01", screens at a date inside the exposure index's window).
--
--   ADDRESSES=addrs.txt PATH_PREFIX=/api/risk/v2/entities/ API_KEY=lk \
--     wrk -t2 -c32 -d60s --latency -s scripts/wrk_screen.lua http://127.0.0.1:18181
--
-- Answers other than 200 are counted and printed at the end (wrk's "Non-2xx" counts them too).

local addresses = {}
for line in io.lines(os.getenv("ADDRESSES") or "addresses.txt") do
  if line ~= "" then
    addresses[#addresses + 1] = line
  end
end
if #addresses == 0 then
  error("no addresses in " .. (os.getenv("ADDRESSES") or "addresses.txt"))
end
local prefix = os.getenv("PATH_PREFIX") or "/api/risk/v2/entities/"
local query = os.getenv("QUERY") or ""
local key = os.getenv("API_KEY") or ""

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("offset", thread_count * 7919)
  thread_count = thread_count + 1
  threads[#threads + 1] = thread
end

-- Globals of each thread's own Lua state (`thread:get` reads globals only).
next_index = 0
not_ok = 0

function init(args)
  next_index = offset or 0
end

function request()
  next_index = next_index + 1
  local address = addresses[(next_index % #addresses) + 1]
  local headers = {}
  if key ~= "" then
    headers["X-Api-Key"] = key
  end
  return wrk.format("GET", prefix .. address .. query, headers)
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get("not_ok") or 0)
  end
  io.write(string.format("answers other than 200: %d\n", total))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("p%g: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
