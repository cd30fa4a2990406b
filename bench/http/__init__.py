"""`make bench`: the HTTP benchmark (wrk against the API as `make run` starts it)."""
