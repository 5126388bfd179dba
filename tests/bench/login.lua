-- wrk script: POST /login with a correct password (one Argon2id verification and one
-- session write per request). Environment: BENCH_COOKIE, BENCH_LOGIN_BODY.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_LOGIN_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
