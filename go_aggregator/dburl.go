package aggregator

import (
	"net/url"
	"strings"
)

// Database drivers recognised in DATABASE_URL.
const (
	DriverPostgres = "postgres"
	DriverSQLite   = "sqlite"
)

// DatabaseURL is a parsed DATABASE_URL.
type DatabaseURL struct {
	Driver string // DriverPostgres or DriverSQLite
	// DSN is a postgres:// URL for PostgreSQL, or the file path for SQLite
	// (":memory:" for an in-memory database).
	DSN string
}

// ParseDatabaseURL reads DATABASE_URL the way Django's django-environ does:
//
//	sqlite:///relative/path.db   path relative to the working directory
//	sqlite:////abs/path.db       absolute path
//	sqlite://:memory:            in-memory (or sqlite://)
//	postgres://, postgresql://, pgsql://   PostgreSQL
func ParseDatabaseURL(raw string) (DatabaseURL, error) {
	if raw == "" {
		return DatabaseURL{}, Errorf(EINVALID, "database URL is empty: set DATABASE_URL or pass --database-url")
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return DatabaseURL{}, Errorf(EINVALID, "database URL has no scheme: want sqlite:///path.db or postgres://...")
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		if rest == "" || rest == ":memory:" || rest == "/:memory:" {
			return DatabaseURL{Driver: DriverSQLite, DSN: ":memory:"}, nil
		}
		// django-environ drops the query and the one "/" before the path:
		// sqlite:///rel.db -> "rel.db", sqlite:////abs.db -> "/abs.db".
		path, _, _ := strings.Cut(rest, "?")
		if !strings.HasPrefix(path, "/") {
			return DatabaseURL{}, Errorf(EINVALID, "sqlite URL %q has a host: want sqlite:///relative.db or sqlite:////abs/path.db", raw)
		}
		path = path[1:]
		if p, err := url.PathUnescape(path); err == nil {
			path = p
		}
		if path == "" {
			return DatabaseURL{}, Errorf(EINVALID, "sqlite URL %q has no path", raw)
		}
		return DatabaseURL{Driver: DriverSQLite, DSN: path}, nil
	case "postgres", "postgresql", "pgsql":
		u, err := url.Parse("postgres://" + rest)
		if err != nil {
			return DatabaseURL{}, Errorf(EINVALID, "invalid postgres URL %q", redact(raw))
		}
		return DatabaseURL{Driver: DriverPostgres, DSN: u.String()}, nil
	}
	return DatabaseURL{}, Errorf(EINVALID, "unsupported database URL scheme %q: want sqlite or postgres", scheme)
}

// redact hides a password in a URL so error lines never leak it.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if err != nil {
			return "<unparseable>"
		}
		return raw
	}
	return u.Redacted()
}
