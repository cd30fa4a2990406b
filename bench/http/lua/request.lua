-- One benchmark case for wrk, configured by environment variables (set by bench/http/wrk.py):
--   BENCH_METHOD   GET or POST
--   BENCH_BODY     file holding the request body; "{n}" in it is replaced by 0..BENCH_ROTATE-1, one body per
--                  request in turn (distinct logins, distinct amounts); bodies are built once, in init
--   BENCH_ROTATE   how many distinct bodies (default 1)
--   BENCH_TOKEN    access token sent as "Authorization: Bearer ..." (optional)
--   BENCH_EXPECT   a string every good response body contains; others count as "bad"
-- done() prints one line "BENCH_RESULT {json}" with counts and latency percentiles in microseconds.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local bodies = {}
local next_body = 0
local expect = os.getenv("BENCH_EXPECT")
bad = 0
first_bad = nil

function init(args)
  local method = os.getenv("BENCH_METHOD") or "GET"
  wrk.method = method
  wrk.headers["Content-Type"] = "application/json"
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  local body_file = os.getenv("BENCH_BODY")
  if body_file and body_file ~= "" then
    local handle = assert(io.open(body_file, "r"))
    local template = handle:read("*a")
    handle:close()
    local rotate = tonumber(os.getenv("BENCH_ROTATE") or "1")
    for n = 0, rotate - 1 do
      -- A function replacement: the number is inserted literally whatever it contains.
      local body = template:gsub("{n}", function() return tostring(n) end)
      bodies[n + 1] = wrk.format(method, nil, nil, body)
    end
  else
    bodies[1] = wrk.format(method)
  end
end

function request()
  next_body = next_body % #bodies + 1
  return bodies[next_body]
end

function response(status, headers, body)
  if status ~= 200 or (expect and not string.find(body, expect, 1, true)) then
    bad = bad + 1
    if first_bad == nil then
      first_bad = string.sub(tostring(status) .. " " .. (body or ""), 1, 300)
    end
  end
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

-- nan/inf (no requests at all) are not JSON.
local function json_number(x)
  if x ~= x or x == math.huge or x == -math.huge then return "null" end
  return string.format("%.1f", x)
end

function done(summary, latency, requests)
  local total_bad = 0
  local sample = nil
  for _, thread in ipairs(threads) do
    total_bad = total_bad + (thread:get("bad") or 0)
    sample = sample or thread:get("first_bad")
  end
  local e = summary.errors
  local l = latency
  local parts = {
    '"requests":' .. summary.requests,
    '"duration_us":' .. summary.duration,
    '"bytes":' .. summary.bytes,
    '"errors":{"connect":' .. e.connect .. ',"read":' .. e.read .. ',"write":' .. e.write
      .. ',"status":' .. e.status .. ',"timeout":' .. e.timeout .. '}',
    '"bad_responses":' .. total_bad,
    '"first_bad":' .. (sample and json_string(sample) or "null"),
    '"latency_us":{"mean":' .. json_number(l.mean) .. ',"stdev":' .. json_number(l.stdev)
      .. ',"max":' .. json_number(l.max) .. ',"p50":' .. json_number(l:percentile(50))
      .. ',"p90":' .. json_number(l:percentile(90)) .. ',"p99":' .. json_number(l:percentile(99)) .. '}',
  }
  io.write("BENCH_RESULT {" .. table.concat(parts, ",") .. "}\n")
end
