-- wrk script of the benchmark: signs in with a session cookie, counts every answer that is not 200, and prints
-- one JSON line (prefixed BENCH) with throughput, latency percentiles (microseconds) and errors.
-- BENCH_COOKIE holds the Cookie header.

wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["Accept-Language"] = "en"

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   not_ok = 0
end

function response(status, headers, body)
   if status ~= 200 then
      not_ok = not_ok + 1
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + thread:get("not_ok")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, "mean": %.1f, ' ..
      '"not_200": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), latency.mean, bad, e.connect, e.read, e.write, e.status, e.timeout))
end
