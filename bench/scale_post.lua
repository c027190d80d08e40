-- wrk script: a signed-in reader posting to random threads of the BENCH_THREADS threads
-- "t0" … bench/generate.py wrote. Session cookie and CSRF token from BENCH_SESSION_FILE.
local f = assert(io.open(os.getenv("BENCH_SESSION_FILE")))
local cookie = f:read("*l")
local token = f:read("*l")
f:close()
local threads = tonumber(os.getenv("BENCH_THREADS") or "1000")
math.randomseed(os.time())
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = cookie
wrk.headers["X-CSRFToken"] = token
local n = 0
request = function()
  n = n + 1
  local path = "/api/v1/sites/bench/threads/t" .. math.random(0, threads - 1) .. "/comments"
  local body = '{"body": "A scale benchmark comment number ' .. n .. ' with **some** _markdown_."}'
  return wrk.format(nil, path, nil, body)
end
