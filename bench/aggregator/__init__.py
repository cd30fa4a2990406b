"""`make bench-aggregator`: the Go aggregator against PostgreSQL's own GROUP BY and the bare COPY stream."""
