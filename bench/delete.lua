-- Replays a prepared list of requests once each: "METHOD PATH TOKEN" per line, one file per
-- wrk thread. When a thread's list is used up its connections send a cheap, unauthenticated
-- GET (answered 401), which the report subtracts, and the thread stops.
local threads = {}
local counter = 1

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  requests_file = args[1] .. "-" .. index .. ".txt"
  plan = {}
  for line in io.lines(requests_file) do
    local method, path, token = line:match("^(%S+) (%S+) (%S+)$")
    table.insert(plan, wrk.format(method, path, { ["Authorization"] = "Bearer " .. token }))
  end
  counts = {}
  filler = wrk.format("GET", "/memory_topics")
end

function request()
  local next_request = plan[counter]
  counter = counter + 1
  if next_request == nil then
    return filler
  end
  return next_request
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if counter > #plan + 1 then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  io.write("STATUS")
  for status, count in pairs(totals) do
    io.write(string.format(" %d=%d", status, count))
  end
  io.write("\n")
  io.write(string.format("LATENCY p50=%.3f p90=%.3f p99=%.3f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("TOTAL requests=%d duration_s=%.3f\n",
    summary.requests, summary.duration / 1e6))
end
