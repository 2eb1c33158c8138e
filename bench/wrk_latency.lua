-- wrk script for bench/slow_clients: prints the latency quantiles wrk's
-- --latency table leaves out (p99.9), in milliseconds, and the errors by kind,
-- on lines of their own for the script to read.
done = function(summary, latency, requests)
	io.write(string.format("quantiles_ms %.3f %.3f %.3f\n",
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		latency:percentile(99.9) / 1000))
	local e = summary.errors
	io.write(string.format("errors %d\n", e.connect + e.read + e.write + e.status + e.timeout))
	io.write(string.format("requests %d %.3f\n", summary.requests, summary.duration / 1e6))
end
