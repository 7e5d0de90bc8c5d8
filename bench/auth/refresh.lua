-- wrk: POST /auth/v1/token?grant_type=refresh_token, each request rotating a live token: every
-- wrk thread keeps its own share of the tokens in TOKENS_FILE (one per line) as a pool, takes
-- one per request and puts back the new token from the answer.
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
end

local pool = {}
function init(args)
  local threads = tonumber(os.getenv("WRK_THREADS"))
  local n = 0
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    n = n + 1
    if n % threads == id - 1 then pool[#pool + 1] = line end
  end
end

local headers = { ["Content-Type"] = "application/json", ["apikey"] = os.getenv("ANON_KEY") }
function request()
  local t = table.remove(pool, 1)
  return wrk.format("POST", "/auth/v1/token?grant_type=refresh_token", headers, '{"refresh_token":"' .. t .. '"}')
end

function response(status, headers, body)
  local t = body:match('"refresh_token":"([a-z0-9]+)"')
  if t then pool[#pool + 1] = t end
end
