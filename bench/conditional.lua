-- wrk script: a browser or CDN revalidating its copy of a page. The first answer's ETag
-- is sent back as If-None-Match with every later request of the thread, so the service
-- answers 304 without a body (comments/page_cache.py: one query, nothing rendered).
-- done() prints how many answers were 304, to show that they were.
-- Globals, not locals: done() reads each thread's count with thread:get.
etag = nil
not_modified = 0
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

request = function()
  if etag then
    return wrk.format(nil, nil, {["If-None-Match"] = etag})
  end
  return wrk.format()
end

response = function(status, headers, body)
  if status == 304 then
    not_modified = not_modified + 1
  elseif status == 200 and headers["ETag"] then
    etag = headers["ETag"]
  end
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("not_modified")
  end
  io.write(string.format("304 answers: %d of %d\n", total, summary.requests))
end
