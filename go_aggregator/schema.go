package aggregator

// RequiredColumns is the aggregator's whole contract with the Django models
// in ledger/models.py: the tables and columns it reads or writes. On startup
// each backend checks that every one exists (PostgreSQL through
// information_schema.columns in the current schema, SQLite through
// pragma table_info) and refuses to run otherwise.
//
//	ledger_transaction    id, amount_minor, type, description, category,
//	                      category_key, date, idempotency_key, created_at,
//	                      updated_at, user_id
//	                      (read: user_id, date, category_key, type, amount_minor;
//	                      category_key is the API's one rule for category
//	                      identity, so rollups are per key and Go folds nothing)
//	ledger_dirtybucket    id, month, generation, marked_at, user_id
//	                      (claimed, then deleted when generation is unchanged;
//	                      unique on (user_id, month))
//	ledger_monthlyrollup  id, month, category (the key), type, total_minor,
//	                      transaction_count, user_id
//	                      (replaced per bucket; unique on
//	                      (user_id, month, category, type))
//	ledger_rollupfingerprint  user_id (primary key), digest, rollup_count
//	                      (PostgreSQL: one Fingerprint per user with rollups,
//	                      NULL = unknown; SQLite leaves it alone)
//
// Month is "YYYY-MM", type is "income" or "expense", amounts are int64 minor
// units. user_id is opaque to the aggregator: it writes back what it read.
var RequiredColumns = []TableColumns{
	{Table: "ledger_transaction", Columns: []string{
		"id", "amount_minor", "type", "description", "category", "category_key", "date",
		"idempotency_key", "created_at", "updated_at", "user_id",
	}},
	{Table: "ledger_dirtybucket", Columns: []string{
		"id", "month", "generation", "marked_at", "user_id",
	}},
	{Table: "ledger_monthlyrollup", Columns: []string{
		"id", "month", "category", "type", "total_minor", "transaction_count", "user_id",
	}},
	{Table: "ledger_rollupfingerprint", Columns: []string{"user_id", "digest", "rollup_count"}},
}

// TableColumns lists the columns required of one table.
type TableColumns struct {
	Table   string
	Columns []string
}

// CheckColumns compares the columns found in the database (table -> set of
// column names) against RequiredColumns and returns an ESCHEMA error naming
// the first missing table or column.
func CheckColumns(found map[string]map[string]bool) error {
	for _, tc := range RequiredColumns {
		cols, ok := found[tc.Table]
		if !ok || len(cols) == 0 {
			return schemaError(tc.Table)
		}
		for _, c := range tc.Columns {
			if !cols[c] {
				return schemaError(tc.Table + "." + c)
			}
		}
	}
	return nil
}

func schemaError(what string) error {
	return Errorf(ESCHEMA, "database schema is missing %s: run %q first", what, "python manage.py migrate")
}
