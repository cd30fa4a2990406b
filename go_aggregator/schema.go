package aggregator

// RequiredColumns is the aggregator's whole contract with the Django models
// in ledger/models.py: the tables and columns it reads or writes. On startup
// each backend checks that every one exists (PostgreSQL through
// information_schema.columns in the current schema, SQLite through
// pragma table_info) and refuses to run otherwise.
//
//	ledger_transaction    id, account_id, amount_minor, type, description,
//	                      category, category_key, date, idempotency_key,
//	                      idempotency_fingerprint, created_at, updated_at,
//	                      user_id
//	                      (read: user_id, account_id, date, category_key, type,
//	                      amount_minor; category_key is the API's one rule for
//	                      category identity, so rollups are per key and Go
//	                      folds nothing; every column written by the
//	                      recording of recurring rules)
//	ledger_transfer       id, user_id, from_account_id, to_account_id,
//	                      amount_minor, to_amount_minor, date
//	                      (read: all but id; one row is both legs: amount_minor
//	                      leaves from_account, to_amount_minor arrives in
//	                      to_account, in its own currency)
//	ledger_account        id, user_id, archived, currency
//	                      (PostgreSQL: the accounts a write inserts rollups for
//	                      are locked FOR KEY SHARE, and those deleted meanwhile
//	                      skipped; a rule of an archived account is not
//	                      recorded; the currency is only copied into the
//	                      change snapshots, amounts are never converted)
//	ledger_dirtybucket    id, month, generation, marked_at, user_id
//	                      (claimed, then deleted when generation is unchanged;
//	                      unique on (user_id, month); the API marks the month
//	                      of every transaction and transfer date it touches)
//	ledger_monthlyrollup  id, month, account_id, category, type, total_minor,
//	                      transaction_count, user_id
//	                      (replaced per (user, month) bucket, every account of
//	                      it; unique on (user_id, month, account_id, category,
//	                      type); type income/expense with the category key,
//	                      or transfer_in/transfer_out with category "")
//	ledger_rollupfingerprint  user_id (primary key), digest, rollup_count
//	                      (PostgreSQL: one Fingerprint per user with rollups,
//	                      NULL = unknown; SQLite leaves it alone)
//	ledger_balanceversion user_id (primary key), version, volume_minor,
//	                      change_sequence
//	                      (the recording bumps the version first, the API's
//	                      lock order, adds what it records to the volume,
//	                      bounded by MaxVolumeMinor, and allocates its change
//	                      rows' sequence numbers from change_sequence)
//	ledger_categoryname   user_id, key, name, used_at, unique (user_id, key)
//	                      (the recording upserts the rule's spelling)
//	ledger_recurringrule  id, user_id, account_id, amount_minor, type,
//	                      category, category_key, description, frequency,
//	                      interval, start_date, end_date, count, next_index,
//	                      next_date, paused, created_at, updated_at
//	                      (due: NOT paused, next_date <= today; read under its
//	                      row lock, next_index and next_date advanced)
//	ledger_recurringoccurrence  id, rule_id, date, transaction_id, skipped,
//	                      unique (rule_id, date)
//	                      (a row means skipped or recorded: never recorded
//	                      again; inserted before its transaction)
//	ledger_change         user_id, sequence, entity_type, entity_id,
//	                      operation, at, snapshot, unique (user_id, sequence)
//	                      (one row per entity a recording wrote, numbered
//	                      from change_sequence; ledger/changes.py's docstring
//	                      is the contract)
//	webhooks_webhook      id, user_id, events, url, secret, failing,
//	                      last_sequence
//	                      (`deliver`: the owner's changes after last_sequence
//	                      become deliveries, and last_sequence moves, in one
//	                      transaction holding the row; failing set when a
//	                      delivery used up its retries, cleared by a success)
//	webhooks_delivery     id, webhook_id, sequence, event, payload, attempts,
//	                      last_status, last_error, created_at, delivered_at,
//	                      next_attempt_at, locked_until
//	                      (inserted with the exact body, unique on
//	                      (webhook_id, sequence); leased through locked_until,
//	                      then updated with each attempt's outcome;
//	                      webhooks/models.py's docstring is the contract)
//
// Month is "YYYY-MM", amounts are int64 minor units of the account's
// currency, always summed as they are (consumers apply signs). user_id and
// account ids are opaque to the aggregator: it writes back what it read.
var RequiredColumns = []TableColumns{
	{Table: "ledger_transaction", Columns: []string{
		"id", "account_id", "amount_minor", "type", "description", "category", "category_key", "date",
		"idempotency_key", "idempotency_fingerprint", "created_at", "updated_at", "user_id",
	}},
	{Table: "ledger_transfer", Columns: []string{
		"id", "user_id", "from_account_id", "to_account_id", "amount_minor", "to_amount_minor", "date",
	}},
	{Table: "ledger_account", Columns: []string{"id", "user_id", "archived", "currency"}},
	{Table: "ledger_dirtybucket", Columns: []string{
		"id", "month", "generation", "marked_at", "user_id",
	}},
	{Table: "ledger_monthlyrollup", Columns: []string{
		"id", "month", "account_id", "category", "type", "total_minor", "transaction_count", "user_id",
	}},
	{Table: "ledger_rollupfingerprint", Columns: []string{"user_id", "digest", "rollup_count"}},
	{Table: "ledger_balanceversion", Columns: []string{"user_id", "version", "volume_minor", "change_sequence"}},
	{Table: "ledger_categoryname", Columns: []string{"user_id", "key", "name", "used_at"}},
	{Table: "ledger_recurringrule", Columns: []string{
		"id", "user_id", "account_id", "amount_minor", "type", "category", "category_key", "description",
		"frequency", "interval", "start_date", "end_date", "count", "next_index", "next_date", "paused",
		"created_at", "updated_at",
	}},
	{Table: "ledger_recurringoccurrence", Columns: []string{"id", "rule_id", "date", "transaction_id", "skipped"}},
	{Table: "ledger_change", Columns: []string{
		"user_id", "sequence", "entity_type", "entity_id", "operation", "at", "snapshot",
	}},
	{Table: "webhooks_webhook", Columns: []string{"id", "user_id", "events", "url", "secret", "failing", "last_sequence"}},
	{Table: "webhooks_delivery", Columns: []string{
		"id", "webhook_id", "sequence", "event", "payload", "attempts", "last_status", "last_error", "created_at",
		"delivered_at", "next_attempt_at", "locked_until",
	}},
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
