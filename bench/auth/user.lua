-- wrk: GET /auth/v1/user with one valid access token (ACCESS_TOKEN, ANON_KEY)
wrk.headers["apikey"] = os.getenv("ANON_KEY")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ACCESS_TOKEN")
