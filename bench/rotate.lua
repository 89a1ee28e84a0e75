-- wrk script: each request asks for a random one of BENCH_POSTS generated posts (/post-i/),
-- so that with a tiny page cache nearly every request renders its page.
local n = tonumber(os.getenv("BENCH_POSTS") or "2000")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

request = function()
  return wrk.format("GET", "/post-" .. math.random(0, n - 1) .. "/")
end
