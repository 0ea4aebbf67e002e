-- wrk script for bench/api_latency.py.
--
--   wrk -t1 -c20 -d10s --timeout 30s -s api_latency.lua http://HOST:PORT -- PATHS_FILE
--
-- Every request is a GET of a path picked at random from PATHS_FILE (one per line).
-- Responses other than 200 are counted; the figures are printed at the end as
-- `husky-bench <key> <integer>` lines (latencies in microseconds) for the bench to parse.

local paths = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  math.randomseed(#paths)
  not_ok = 0
  body_bytes = 0
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
  body_bytes = #body
end

function done(summary, latency, requests)
  local bad, size = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not_ok")
    size = math.max(size, thread:get("body_bytes"))
  end
  local errors = summary.errors
  local figures = {
    { "requests", summary.requests },
    { "duration_us", summary.duration },
    { "p50_us", latency:percentile(50) },
    { "p99_us", latency:percentile(99) },
    { "max_us", latency.max },
    { "not_ok", bad },
    { "socket_errors", errors.connect + errors.read + errors.write },
    { "timeouts", errors.timeout },
    { "body_bytes", size },
  }
  for _, pair in ipairs(figures) do
    io.write(string.format("husky-bench %s %d\n", pair[1], pair[2]))
  end
end
