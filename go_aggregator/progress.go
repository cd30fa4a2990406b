package aggregator

import "sync/atomic"

// Progress holds live counters of a run, safe for concurrent use, read by the
// terminal progress line.
type Progress struct {
	rows    atomic.Int64
	buckets atomic.Int64
}

// AddRows records n more rows read.
func (p *Progress) AddRows(n int64) {
	if p != nil {
		p.rows.Add(n)
	}
}

// AddBuckets records n more buckets written.
func (p *Progress) AddBuckets(n int64) {
	if p != nil {
		p.buckets.Add(n)
	}
}

// Rows returns the rows read so far.
func (p *Progress) Rows() int64 { return p.rows.Load() }

// Buckets returns the buckets written so far.
func (p *Progress) Buckets() int64 { return p.buckets.Load() }
