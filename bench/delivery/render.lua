-- wrk script for `POST /api/v1/render/{address}`: the method, a JSON body and its content type.
-- The Authorization header comes from the command line (-H), as for the resolve run.
wrk.method = "POST"
wrk.body = '{"variables":{"customer_name":"Ada"}}'
wrk.headers["Content-Type"] = "application/json"
