-- wrk script for the signed S2 variant: PostToConnection with SigV4-signed requests.
-- The requests are signed beforehand by bench/presign.py (a Lua chunk in $SIGNED_REQUESTS that
-- returns raw HTTP requests); request() only rotates over them, so wrk's cost is the same as for
-- the unsigned push.lua of the shared harness. done() prints the same "wrk ..." summary line.
local reqs
local n = 0
local idx = 0

function init(args)
  reqs = dofile(assert(os.getenv("SIGNED_REQUESTS"), "set SIGNED_REQUESTS"))
  n = #reqs
  assert(n > 0, "no pre-signed requests")
  idx = math.random(n) - 1
end

function request()
  idx = idx % n + 1
  return reqs[idx]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk requests=%d duration_us=%d status_errors=%d connect_errors=%d read_errors=%d " ..
    "write_errors=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
