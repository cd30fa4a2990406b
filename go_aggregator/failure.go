package aggregator

import (
	"cmp"
	"slices"
)

// Failure is a bucket a run could not compute: an int64 total or a
// transaction count past its column's range, a date no "YYYY-MM" can name, a
// row that cannot be parsed, a statement the database refused for that bucket
// alone. The bucket is left as it was (its rollups untouched, its dirty mark
// kept), the rest of the run goes on, and the report names it.
type Failure struct {
	UserID string `json:"user_id"`
	// Month is "YYYY-MM", or "" when the failing row's date names no month
	// (a full rebuild then leaves all of that user's rollups alone).
	Month string `json:"month"`
	Error string `json:"error"`
}

// MaxReportedFailures bounds the failures listed in one report (and logged);
// buckets_failed counts them all.
const MaxReportedFailures = 100

// AddFailures counts failures in the report and lists them, up to
// MaxReportedFailures in all, in (user, month) order.
func (r *RunReport) AddFailures(fs []Failure) {
	r.BucketsFailed += int64(len(fs))
	if room := MaxReportedFailures - len(r.Failures); room > 0 {
		r.Failures = append(r.Failures, fs[:min(room, len(fs))]...)
	}
	sortFailures(r.Failures)
}

func sortFailures(fs []Failure) {
	slices.SortFunc(fs, func(a, b Failure) int {
		return cmp.Or(cmp.Compare(a.UserID, b.UserID), cmp.Compare(a.Month, b.Month))
	})
}

// SplitClaimed separates the claimed buckets an aggregation computed (done:
// write their rollups, clear their dirty marks) from those it could not
// (failed, one Failure per bucket: leave them alone). A failure without a
// month fails every claimed bucket of its user.
func SplitClaimed(claimed []DirtyBucket, failures []Failure) (done []DirtyBucket, failed []Failure) {
	if len(failures) == 0 {
		return claimed, nil
	}
	byBucket := make(map[Bucket]string, len(failures))
	for _, f := range failures {
		byBucket[Bucket{UserID: f.UserID, Month: f.Month}] = f.Error
	}
	for _, b := range claimed {
		msg, ok := byBucket[b.Bucket]
		if !ok {
			msg, ok = byBucket[Bucket{UserID: b.UserID}]
		}
		if ok {
			failed = append(failed, Failure{UserID: b.UserID, Month: b.Month, Error: msg})
		} else {
			done = append(done, b)
		}
	}
	return done, failed
}

// ParseClaimed parses the months of claimed buckets: a month that does not
// parse (a dirty row written outside the API) fails its bucket alone.
func ParseClaimed(claimed []DirtyBucket) (months []Month, parsed []DirtyBucket, failed []Failure) {
	for _, b := range claimed {
		m, err := ParseMonth(b.Month)
		if err != nil {
			failed = append(failed, Failure{UserID: b.UserID, Month: b.Month, Error: ErrorMessage(err)})
			continue
		}
		months = append(months, m)
		parsed = append(parsed, b)
	}
	return months, parsed, failed
}
