-- wrk script: the authorization code flow for a signed-in browser, alternating
-- GET /authorize (prompt=none, a first-party client: a code, no page) and
-- POST /token (authorization_code + PKCE: access token + ID token, two signatures).
-- Environment: BENCH_COOKIE, BENCH_AUTHORIZE (path and query), BENCH_BASIC,
-- BENCH_REDIRECT (URL-encoded), BENCH_VERIFIER.
local codes = {}
tokens = 0
token_errors = 0
local cookie = os.getenv("BENCH_COOKIE")
local authorize = os.getenv("BENCH_AUTHORIZE")
local basic = os.getenv("BENCH_BASIC")
local redirect = os.getenv("BENCH_REDIRECT")
local verifier = os.getenv("BENCH_VERIFIER")

request = function()
  local code = table.remove(codes)
  if code then
    local body = "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. redirect .. "&code_verifier=" .. verifier
    return wrk.format("POST", "/token", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Authorization"] = "Basic " .. basic,
    }, body)
  end
  return wrk.format("GET", authorize, { ["Cookie"] = cookie })
end

response = function(status, headers, body)
  local location = headers["Location"] or headers["location"]
  if location then
    local code = string.match(location, "[?&]code=([^&]+)")
    if code then table.insert(codes, code) end
  elseif status == 200 then
    tokens = tokens + 1
  else
    token_errors = token_errors + 1
  end
end

local threads = {}
setup = function(thread) table.insert(threads, thread) end

done = function(summary, latency, requests)
  local total, errors = 0, 0
  for _, t in ipairs(threads) do
    total = total + t:get("tokens")
    errors = errors + t:get("token_errors")
  end
  io.write(string.format("CODE_EXCHANGES %d %d %.3f\n", total, errors, summary.duration / 1e6))
end
