-- wrk: POST /auth/v1/token?grant_type=refresh_token, round robin over the refresh tokens in
-- TOKENS_FILE (one per line); each wrk thread starts at its own offset.
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local counter = 1
function setup(thread)
  counter = counter + 7
  thread:set("offset", counter)
end
local i = 0
function request()
  i = i + 1
  local t = tokens[((offset or 0) + i) % #tokens + 1]
  return wrk.format("POST", "/auth/v1/token?grant_type=refresh_token",
    { ["Content-Type"] = "application/json", ["apikey"] = os.getenv("ANON_KEY") },
    '{"refresh_token":"' .. t .. '"}')
end
