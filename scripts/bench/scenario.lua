-- One wrk script for every benchmark scenario, chosen by environment variables:
--   SCENARIO  cached | uncached | mixed | detail | write | loan | static
--             (loan: each connection borrows a copy of a random book, then returns that loan with its next request:
--             every request is one write that moves stock, and the stock stays where it was)
--   TOKEN     an admin access token (not used by static)
--   BOOKS     how many books the catalog holds (ids 1..BOOKS)
--   TAGS      how many tags (ids 1..TAGS)
--   OUT       file to write this run's numbers to, as JSON
local scenario = os.getenv("SCENARIO") or "cached"
local token = os.getenv("TOKEN") or ""
local books = tonumber(os.getenv("BOOKS") or "500")
local tags = tonumber(os.getenv("TAGS") or "50")
local out = os.getenv("OUT") or "/dev/stdout"

local threads = {}
local thread_counter = 0

function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_id", thread_counter)
  table.insert(threads, thread)
end

local auth = { ["Authorization"] = "Bearer " .. token }
local listing = "/api/v1/books?page_size=100"

-- Zipf-distributed choice over n items: a few combinations are very popular, most are rare, like real traffic.
local zipf_weights, zipf_total = {}, 0
local function zipf(n)
  if #zipf_weights ~= n then
    zipf_weights, zipf_total = {}, 0
    for i = 1, n do zipf_total = zipf_total + 1 / i; zipf_weights[i] = zipf_total end
  end
  local r = math.random() * zipf_total
  for i = 1, n do if r <= zipf_weights[i] then return i end end
  return n
end

local orderings = { "title", "-title", "published_at", "-published_at", "created_at", "-created_at" }
local words = { "River", "Garden", "Empire", "Winter", "Silent", "Golden", "Hidden", "Storm" }

-- The k-th of many distinct filter combinations. Only unfiltered listings page past page 1, so every request
-- asks for a page that exists.
local page_sizes = { 10, 20, 50 }
local function combination(k)
  local query = "/api/v1/books?page_size=" .. page_sizes[(k % #page_sizes) + 1] .. "&order_by=" .. orderings[(k % #orderings) + 1]
  if k % 3 == 0 then query = query .. "&title=" .. words[(k % #words) + 1] end
  if k % 4 == 1 then query = query .. "&tag=" .. ((k % tags) + 1) end
  if k % 5 == 2 then query = query .. "&tag=" .. ((k % tags) + 1) .. "&tag=" .. (((k + 7) % tags) + 1) .. "&tag_option=or" end
  if k % 3 ~= 0 and k % 4 ~= 1 and k % 5 ~= 2 then query = query .. "&page=" .. ((k % 3) + 1) end
  return query
end

local counter = 0

function init(args)
  math.randomseed(os.time() + (thread_id or 0) * 7919)
end

function request()
  counter = counter + 1
  if scenario == "static" then
    return wrk.format("GET", "/books.json")
  elseif scenario == "cached" then
    return wrk.format("GET", listing, auth)
  elseif scenario == "uncached" then
    return wrk.format("GET", listing, { ["Authorization"] = auth["Authorization"], ["Cache-Control"] = "no-store" })
  elseif scenario == "detail" then
    return wrk.format("GET", "/api/v1/books/" .. math.random(1, books), auth)
  elseif scenario == "write" then
    local isbn = string.format("978%03d%07d", thread_id or 0, counter)
    local body = string.format(
      '{"title": "Bench %d-%d", "author": "Load Tester", "isbn": "%s", "published_at": "2020-01-01", "stock": 5}',
      thread_id or 0, counter, isbn)
    return wrk.format("POST", "/api/v1/books",
      { ["Authorization"] = auth["Authorization"], ["Content-Type"] = "application/json" }, body)
  elseif scenario == "loan" then
    if loan_to_return then
      local id = loan_to_return
      loan_to_return = nil
      return wrk.format("PATCH", "/api/v1/loans/" .. id,
        { ["Authorization"] = auth["Authorization"], ["Content-Type"] = "application/json" }, '{"is_returned": true}')
    end
    local body = string.format('{"book_id": %d, "quantity": 1}', math.random(1, books))
    return wrk.format("POST", "/api/v1/loans",
      { ["Authorization"] = auth["Authorization"], ["Content-Type"] = "application/json" }, body)
  else -- mixed: 2% writes that change stock (and so invalidate), the rest Zipf-distributed reads
    if math.random() < 0.02 then
      local body = string.format('{"stock": %d}', math.random(0, 20))
      return wrk.format("PATCH", "/api/v1/books/" .. math.random(1, books),
        { ["Authorization"] = auth["Authorization"], ["Content-Type"] = "application/json" }, body)
    end
    return wrk.format("GET", combination(zipf(500)), auth)
  end
end

-- The loan scenario returns each loan it made: its loan_id from the 201's body, kept in a queue per thread. Defined
-- for that scenario only: with a response function, wrk hands every body to Lua, which would cost the others.
local loans_made = {}
if scenario == "loan" then
  function response(status, headers, body)
    if status == 201 then
      local id = body:match('"loan_id"%s*:%s*(%d+)')
      if id then table.insert(loans_made, id) end
    end
    if not loan_to_return and #loans_made > 0 then loan_to_return = table.remove(loans_made, 1) end
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  local file = io.open(out, "w")
  file:write(string.format(
    '{"scenario": "%s", "requests": %d, "seconds": %.3f, "requests_per_second": %.1f, "errors": %d, ' ..
    '"latency_ms": {"p50": %.3f, "p90": %.3f, "p99": %.3f, "p99_9": %.3f, "max": %.3f}}\n',
    scenario, summary.requests, seconds, summary.requests / seconds, errors,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
  file:close()
end
