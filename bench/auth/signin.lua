-- wrk: POST /auth/v1/token?grant_type=password for one user (EMAIL, PASSWORD, ANON_KEY from the environment)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["apikey"] = os.getenv("ANON_KEY")
wrk.body = '{"email":"' .. os.getenv("EMAIL") .. '","password":"' .. os.getenv("PASSWORD") .. '"}'
