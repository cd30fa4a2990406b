"""Operations endpoints and plumbing: readiness, Prometheus metrics, structured logs."""
