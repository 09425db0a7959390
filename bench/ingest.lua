-- wrk script for bench/ingest.sh: POSTs a ~1 KB JSON record with its own id (unique across wrk's threads), in the
-- shape of the bench listener's tables (a root row and two comment rows). TOKEN (the listener's token) from the
-- environment; sent to the references too, which ignore it.
local token = os.getenv("TOKEN") or ""
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("base", threads * 100000000 + tonumber(os.getenv("OFFSET") or "0"))
end

function init(args)
  counter = base
end

local filler = string.rep("lorem ipsum dolor sit amet ", 10)

request = function()
  counter = counter + 1
  local body = string.format(
    '{"id":%d,"name":"Customer %d, %s","amount":%d.50,"active":true,"comments":[{"text":"first comment on record %d: %s"},{"text":"second comment on record %d: %s"}]}',
    counter, counter, filler, counter % 1000, counter, filler, counter, filler)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["X-Webhook-Token"] = token }, body)
end
