-- wrk script for bench/search.sh: each request searches for a random query of one kind
-- (BENCH_SEARCH_KIND): `rare` (a word in 1 post of 10,000), `common` (a word in nearly every
-- post), `phrase` (two words in quotes), asked of the results page /search/, and `prefix` (a
-- word being typed: the first letters of a common or a rare word), asked of the suggestions,
-- /search.json. Each query also leaves out a word no post has (`-zqK`, K random), which changes
-- nothing found but makes every query new, so the page cache answers none: each request is a
-- search. Each request also comes from a random client address (X-Forwarded-For, with the
-- bench's replica trusting 127.0.0.1), so the per-address limit does not stop the bench.
local kind = os.getenv("BENCH_SEARCH_KIND") or "rare"
local words = {"quire", "replica", "cache", "postgres", "notify", "render", "markdown", "feed",
  "author", "image", "reader", "writer", "theme", "template", "query", "index", "latency",
  "throughput", "memory", "network", "request", "response", "header", "stream", "socket",
  "thread", "worker", "queue", "schedule", "publish", "draft", "revision", "archive"}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

local function word()
  return words[math.random(#words)]
end

local function encode(s)
  return (s:gsub("[^%w%-]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

request = function()
  local q
  if kind == "rare" then
    q = "rare" .. math.random(0, 9999)
  elseif kind == "common" then
    q = word()
  elseif kind == "prefix" then
    -- half the time the start of a common word, half the start of a rare one (`rare12`
    -- matches rare12, rare120-129 and rare1200-1299: about 1,100 posts)
    if math.random(2) == 1 then
      q = word():sub(1, 4)
    else
      q = "rare" .. math.random(10, 99)
    end
  else
    q = '"' .. word() .. " " .. word() .. '"'
  end
  -- the unknown word goes first: the prefix stays the last word typed
  q = "-zq" .. math.random(0, 999999999) .. " " .. q
  local address = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
  local path = kind == "prefix" and "/search.json?q=" or "/search/?q="
  return wrk.format("GET", path .. encode(q), {["X-Forwarded-For"] = address})
end

-- the percentiles bench/search.sh prints (wrk's own table has no 95th)
done = function(summary, latency, requests)
  io.write(string.format("percentiles %.2fms %.2fms %.2fms\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
