-- wrk script: comment counts of 10 random threads per request (an article list), out of
-- the BENCH_THREADS threads "t0" … that bench/generate.py wrote.
local threads = tonumber(os.getenv("BENCH_THREADS") or "1000")
math.randomseed(os.time())
request = function()
  local keys = {}
  for i = 1, 10 do
    keys[i] = "thread=t" .. math.random(0, threads - 1)
  end
  return wrk.format(nil, wrk.path .. "?" .. table.concat(keys, "&"))
end
