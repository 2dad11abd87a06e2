-- Replays a prepared list of requests once each: "METHOD PATH TOKEN" per line, one file per
-- wrk thread. A connection that finds its thread's list used up fetches a filler path (the
-- second argument: a small static file, or the peer's health check; answered 200, which no
-- DELETE ever is) until wrk ends. A thread that has every answer to
-- its list leaves a marker file (and one when it has sent it all: a request lost to a socket
-- error is never answered); once all have, the caller interrupts wrk, whose main thread
-- would otherwise sleep through the whole -d duration. (Stopping a thread early would leave
-- its open connections silent, and a sync gunicorn worker waiting on one would time out.)
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1]
  plan = {}
  for line in io.lines(prefix .. "-" .. index .. ".txt") do
    local method, path, token = line:match("^(%S+) (%S+) (%S+)$")
    table.insert(plan, wrk.format(method, path, { ["Authorization"] = "Bearer " .. token }))
  end
  filler = wrk.format("GET", args[2])
  -- wrk calls request() once on the first thread to check the script: give it the filler.
  checked = index ~= 0
  sent = 0
  answered = 0
  counts = {}
end

function request()
  if not checked then
    checked = true
    return filler
  end
  if sent < #plan then
    sent = sent + 1
    if sent == #plan then
      io.open(prefix .. "-" .. index .. ".sent", "w"):close()
    end
    return plan[sent]
  end
  return filler
end

function response(status, headers, body)
  if status ~= 200 then
    counts[status] = (counts[status] or 0) + 1
    answered = answered + 1
  end
  if answered == #plan and not finished then
    finished = true
    io.open(prefix .. "-" .. index .. ".done", "w"):close()
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
