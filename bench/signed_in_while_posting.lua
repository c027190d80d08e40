-- wrk script: a signed-in reader's widget page of the 200-comment thread while one
-- request in fifty posts a new top-level comment to that thread (signed in).
-- Reads the session cookies and CSRF token that bench/seed.py wrote.
local f = assert(io.open(os.getenv("BENCH_SESSION_FILE")))
local cookie = f:read("*l")
local token = f:read("*l")
local embed_cookie = f:read("*l")
f:close()
local page = "/embed/bench/t/big?url=http://127.0.0.1:8001/big&origin=http://127.0.0.1:8001"
local n = 0
request = function()
  n = n + 1
  if n % 50 == 0 then
    local body = '{"body": "A comment while others read, number ' .. n .. '."}'
    local headers = {
      ["Content-Type"] = "application/json",
      ["Cookie"] = cookie,
      ["X-CSRFToken"] = token,
    }
    return wrk.format("POST", "/api/v1/sites/bench/threads/big/comments", headers, body)
  end
  return wrk.format("GET", page, { ["Cookie"] = embed_cookie })
end
