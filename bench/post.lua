-- wrk script: post a comment to the JSON API as a signed-in reader.
-- Reads the session cookie and CSRF token that bench/seed.py wrote.
local f = assert(io.open(os.getenv("BENCH_SESSION_FILE")))
local cookie = f:read("*l")
local token = f:read("*l")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = cookie
wrk.headers["X-CSRFToken"] = token
local n = 0
request = function()
  n = n + 1
  local key = "a" .. (n % 1000)
  local body = '{"body": "A benchmark comment number ' .. n .. ' with **some** _markdown_."}'
  return wrk.format(nil, "/api/v1/sites/bench/threads/" .. key .. "/comments", nil, body)
end
