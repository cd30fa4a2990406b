package postgres_test

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/postgres"
)

// The full-path benchmarks run against an existing, populated database named
// by BENCH_POSTGRES_URL (they never write):
//
//	BENCH_POSTGRES_URL=postgres://... go test -run X -bench FullPath -benchtime 3x ./postgres/

func benchConn(b *testing.B) *pgx.Conn {
	url := os.Getenv("BENCH_POSTGRES_URL")
	if url == "" {
		b.Skip("BENCH_POSTGRES_URL is unset")
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// BenchmarkFullPath_BareCopy is the floor: the binary COPY of the transactions
// read and discarded (the transfers' COPY, a fraction of it, is left out).
func BenchmarkFullPath_BareCopy(b *testing.B) {
	conn := benchConn(b)
	for i := 0; i < b.N; i++ {
		if _, err := conn.PgConn().CopyTo(context.Background(), io.Discard,
			`COPY (SELECT user_id, account_id, date, category_key, type, amount_minor FROM ledger_transaction) TO STDOUT (FORMAT binary)`); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFullPath_Aggregate is COPY plus the Go parse and aggregation.
func BenchmarkFullPath_Aggregate(b *testing.B) {
	conn := benchConn(b)
	b.ReportAllocs()
	var rows int64
	for i := 0; i < b.N; i++ {
		res, err := postgres.AggregateCopy(context.Background(), conn, aggregator.RunOptions{Workers: 2})
		if err != nil {
			b.Fatal(err)
		}
		rows += res.RowsRead
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkFullPath_SQLGroupBy is what PostgreSQL's own GROUP BY costs.
func BenchmarkFullPath_SQLGroupBy(b *testing.B) {
	conn := benchConn(b)
	for i := 0; i < b.N; i++ {
		rows, err := conn.Query(context.Background(), `
			SELECT user_id, to_char(date, 'YYYY-MM'), account_id, category_key, type, SUM(amount_minor), COUNT(*)
			FROM ledger_transaction GROUP BY 1, 2, 3, 4, 5`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
	}
}
