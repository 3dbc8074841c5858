-- wrk script for make bench-api: every request creates a new tunnel (a new
-- sandbox name per request, so none is an idempotent retry).
-- KEY, TARGET and RUN (in the names, so a later run creates anew) come
-- from the environment.
local key = os.getenv("KEY")
local run = os.getenv("RUN") or "0"
local target = os.getenv("TARGET") or "10.0.0.5:8000"
local counter = 0
local next_id = 0
thread_id = 0  -- each thread's own, from setup()

function setup(thread)
	next_id = next_id + 1
	thread:set("thread_id", next_id)
end

function request()
	counter = counter + 1
	local body = string.format(
		'{"sandbox": "load-%s-%d-%d", "target": "%s", "lease_seconds": 3600}',
		run, thread_id, counter, target)
	return wrk.format("POST", "/v1/tunnels", {
		["Authorization"] = "Bearer " .. key,
		["Content-Type"] = "application/json",
	}, body)
end
