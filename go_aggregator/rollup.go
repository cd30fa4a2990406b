// Package aggregator rebuilds the monthly rollups of the personal-finance API.
//
// The Django side writes ledger_transaction and ledger_transfer rows and, in
// the same database transaction, marks every affected (user, month) bucket
// dirty in ledger_dirtybucket. This program recomputes the dirty buckets (or,
// with --full, every bucket) from both tables and replaces their rows in
// ledger_monthlyrollup: per account, income and expense per category, and
// each account's transfers in and out. The root package holds the domain types and the
// storage-independent aggregation engine; the postgres and sqlite packages
// hold one implementation each of RollupService.
package aggregator

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Entry types as stored in ledger_transaction.type (income, expense) and in
// ledger_monthlyrollup.type (all four: the two legs of a transfer too).
const (
	TypeIncome      = "income"
	TypeExpense     = "expense"
	TypeTransferIn  = "transfer_in"
	TypeTransferOut = "transfer_out"
)

// TxnType is an entry type in its compact form used on the hot path: a
// transaction's type, or a transfer leg's.
type TxnType uint8

// Compact entry types. Their String forms sort expense, income, transfer_in,
// transfer_out (the order of the rollup key).
const (
	Income TxnType = iota
	Expense
	TransferIn
	TransferOut
)

// String returns the database spelling of the type.
func (t TxnType) String() string {
	switch t {
	case Expense:
		return TypeExpense
	case TransferIn:
		return TypeTransferIn
	case TransferOut:
		return TypeTransferOut
	}
	return TypeIncome
}

// ParseTxnType maps the database spelling of a transaction's type (income or
// expense: a transfer leg is no transaction type) to its compact form
// without allocating.
func ParseTxnType[T string | []byte](s T) (TxnType, error) {
	switch string(s) {
	case TypeIncome:
		return Income, nil
	case TypeExpense:
		return Expense, nil
	}
	return 0, Errorf(EINVALID, "unknown transaction type %q", string(s))
}

// ParseRollupType maps the database spelling of a rollup's type (any of the
// four) to its compact form without allocating.
func ParseRollupType[T string | []byte](s T) (TxnType, error) {
	switch string(s) {
	case TypeTransferIn:
		return TransferIn, nil
	case TypeTransferOut:
		return TransferOut, nil
	}
	t, err := ParseTxnType(s)
	if err != nil {
		return 0, Errorf(EINVALID, "unknown rollup type %q", string(s))
	}
	return t, nil
}

// Bucket identifies one (user, month) bucket, the unit of dirtiness.
type Bucket struct {
	UserID string // opaque: written back exactly as read
	Month  string // "YYYY-MM"
}

// DirtyBucket is a claimed row of ledger_dirtybucket.
type DirtyBucket struct {
	Bucket
	Generation int64
	ID         int64 // ledger_dirtybucket.id, where the claim read it (0 otherwise)
}

// Rollup is one row of ledger_monthlyrollup: what one account's entries of
// one kind (and, for income and expense, one category) add up to in a month.
type Rollup struct {
	UserID    string
	Month     string // "YYYY-MM"
	AccountID string // opaque, like UserID
	// Category is the category key for income and expense, "" for the legs
	// of transfers.
	Category string
	// Type is TypeIncome or TypeExpense (transactions), TypeTransferIn or
	// TypeTransferOut (transfers into and out of the account).
	Type string
	// TotalMinor is the sum of the amounts, in the account's minor units: a
	// transaction's amount_minor, a transfer's amount_minor for its out leg
	// and its to_amount_minor for its in leg. Always the plain sum: consumers
	// apply signs.
	TotalMinor       int64
	TransactionCount int64 // transactions, or transfer legs, summed
}

// Mode names the kind of run in the report.
type Mode string

// Run modes.
const (
	ModeIncremental Mode = "incremental"
	ModeFull        Mode = "full"
)

// RunReport is the one JSON line printed to stdout after every run.
type RunReport struct {
	Mode           Mode  `json:"mode"`
	RowsRead       int64 `json:"rows_read"`
	BucketsUpdated int64 `json:"buckets_updated"`
	RollupsWritten int64 `json:"rollups_written"`   // inserted or updated
	RollupsDeleted int64 `json:"rollups_deleted"`   // stored rows of vanished (user, month, account, category, type) keys
	RollupsKept    int64 `json:"rollups_unchanged"` // recomputed and equal to the stored row: not written
	// RollupsCompared counts the stored rows read back and compared with the
	// recomputation (PostgreSQL: a full rebuild reads only the users whose
	// fingerprint differs).
	RollupsCompared int64 `json:"rollups_compared"`
	ElapsedMS       int64 `json:"elapsed_ms"`
	RowsPerSec      int64 `json:"rows_per_sec"`
	Workers         int   `json:"workers"`
	// BucketsFailed counts the buckets the run could not compute and left as
	// they were (dirty); Failures lists the first MaxReportedFailures of
	// them, in (user, month) order (never null).
	BucketsFailed int64     `json:"buckets_failed"`
	Failures      []Failure `json:"failures"`
	// Recurring is what the recording of recurring rules before the pass
	// did (absent when it did not run).
	Recurring *RecurringReport `json:"recurring,omitempty"`
}

// RunOptions tunes one run of a RollupService.
type RunOptions struct {
	Workers   int       // aggregation workers; <= 0 means 1
	BatchSize int       // dirty buckets per database transaction; <= 0 means DefaultBatchSize
	Progress  *Progress // optional live counters
	// Verify makes a full rebuild compare every stored rollup with the
	// recomputed one instead of trusting the per-user fingerprints
	// (PostgreSQL; SQLite always compares every row).
	Verify bool
}

// DefaultBatchSize is the number of dirty buckets claimed per database transaction.
const DefaultBatchSize = 500

// Batch returns the effective batch size.
func (o RunOptions) Batch() int {
	if o.BatchSize <= 0 {
		return DefaultBatchSize
	}
	return o.BatchSize
}

// WorkerCount returns the effective number of workers.
func (o RunOptions) WorkerCount() int {
	if o.Workers <= 0 {
		return 1
	}
	return o.Workers
}

// RollupService recomputes rollups in one database.
type RollupService interface {
	// CheckSchema verifies that every table and column in RequiredColumns exists.
	CheckSchema(ctx context.Context) error
	// Incremental recomputes the dirty buckets and clears the dirty marks it consumed.
	Incremental(ctx context.Context, opts RunOptions) (RunReport, error)
	// Full rebuilds every rollup from scratch.
	Full(ctx context.Context, opts RunOptions) (RunReport, error)
	// Close releases the database connections.
	Close() error
}

// Error codes.
const (
	EINVALID     = "invalid"     // bad flag, URL or data
	ESCHEMA      = "schema"      // the database schema is missing a table or column
	EUNAVAILABLE = "unavailable" // the database cannot be reached
	EOVERFLOW    = "overflow"    // an int64 sum would overflow
	EPARTIAL     = "partial"     // some buckets failed, the rest of the run is done
	EINTERNAL    = "internal"
)

// Error is an application error with a machine-readable code and a message
// fit for the one line printed on stderr.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("aggregator error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// err.Error() for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Finish fills the timing fields of a report for a run that began at start.
func (r *RunReport) Finish(start time.Time) {
	if r.Failures == nil {
		r.Failures = []Failure{}
	}
	elapsed := time.Since(start)
	r.ElapsedMS = elapsed.Milliseconds()
	// Integer rate: exact enough and overflow-free below 9e12 rows.
	if us := elapsed.Microseconds(); us > 0 {
		r.RowsPerSec = r.RowsRead * 1_000_000 / us
	}
}
