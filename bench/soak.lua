-- soak.lua — wrk script of bench/soak: steady unconditional polling of one
-- table (a client without a cache), each connection waiting `delay_ms`
-- between requests (a poller, not a flood). The conditional pollers are
-- bench_soak_poll's: wrk 4.1 waits for a body after a 304 that carries the
-- 200's Content-Length. At the end it prints one line:
--   soak-lua ok=N other=N etags=N p50_us=N p99_us=N p999_us=N max_us=N
-- (etags: how many times a thread saw the ETag change; the latencies are
-- wrk's own, from sending a request to the end of its answer).

local delay_ms = 20
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	ok, other, etags = 0, 0, 0
	etag = nil
	if args[1] ~= nil then
		delay_ms = tonumber(args[1])
	end
end

function delay()
	return delay_ms
end

function response(status, headers, body)
	if status == 200 then
		ok = ok + 1
		local tag = headers["ETag"] or headers["Etag"] or headers["etag"]
		if tag ~= nil and tag ~= etag then
			if etag ~= nil then
				etags = etags + 1
			end
			etag = tag
		end
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local t = {ok = 0, other = 0, etags = 0}
	for _, thread in ipairs(threads) do
		for key, _ in pairs(t) do
			t[key] = t[key] + thread:get(key)
		end
	end
	io.write(string.format("soak-lua ok=%d other=%d etags=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d\n",
		t.ok, t.other, t.etags, latency:percentile(50), latency:percentile(99),
		latency:percentile(99.9), latency.max))
end
