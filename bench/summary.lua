-- wrk script: no request changes; done() prints one machine-readable "wrk ..." line in the shape of
-- the shared harness's push.lua (latencies in microseconds), for bench/tls.sh.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk requests=%d duration_us=%d status_errors=%d connect_errors=%d read_errors=%d " ..
    "write_errors=%d timeouts=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
