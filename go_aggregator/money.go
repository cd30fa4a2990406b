package aggregator

import "math"

// AddMinor returns a+b for amounts in minor units, or an EOVERFLOW error when
// the sum does not fit in an int64. Money is never a float.
func AddMinor(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, Errorf(EOVERFLOW, "int64 overflow adding %d to %d minor units", b, a)
	}
	return s, nil
}

// MaxTransactionCount is the largest transaction_count the rollup column
// (a 32-bit integer on PostgreSQL) can hold.
const MaxTransactionCount = math.MaxInt32
