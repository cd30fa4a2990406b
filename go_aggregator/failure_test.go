package aggregator_test

import (
	"fmt"
	"reflect"
	"testing"

	aggregator "finance/go_aggregator"
)

func dirtyBuckets(keys ...string) []aggregator.DirtyBucket {
	var out []aggregator.DirtyBucket
	for _, k := range keys {
		out = append(out, aggregator.DirtyBucket{Bucket: aggregator.Bucket{UserID: k[:1], Month: k[2:]}, Generation: 1})
	}
	return out
}

func TestSplitClaimed(t *testing.T) {
	claimed := dirtyBuckets("a 2024-01", "a 2024-02", "b 2024-01", "c 2024-03")
	failures := []aggregator.Failure{
		{UserID: "a", Month: "2024-02", Error: "overflow"},
		{UserID: "c", Month: "", Error: "date out of range"}, // no month: all of c's claimed buckets
	}
	done, failed := aggregator.SplitClaimed(claimed, failures)
	if want := dirtyBuckets("a 2024-01", "b 2024-01"); !reflect.DeepEqual(done, want) {
		t.Fatalf("done = %+v, want %+v", done, want)
	}
	want := []aggregator.Failure{{UserID: "a", Month: "2024-02", Error: "overflow"}, {UserID: "c", Month: "2024-03", Error: "date out of range"}}
	if !reflect.DeepEqual(failed, want) {
		t.Fatalf("failed = %+v, want %+v", failed, want)
	}
}

func TestParseClaimed(t *testing.T) {
	months, parsed, failed := aggregator.ParseClaimed(dirtyBuckets("a 2024-01", "a 0000-12", "b 9999-12", "b 2024-13"))
	if want := dirtyBuckets("a 2024-01", "b 9999-12"); !reflect.DeepEqual(parsed, want) || len(months) != 2 || months[1] != aggregator.MaxMonth {
		t.Fatalf("parsed = %+v (%v), want %+v", parsed, months, want)
	}
	if len(failed) != 2 || failed[0].Month != "0000-12" || failed[1].Month != "2024-13" {
		t.Fatalf("failed = %+v, want the 0000-12 and 2024-13 buckets", failed)
	}
}

func TestRunReport_AddFailuresCountsAllListsTheFirstHundred(t *testing.T) {
	var r aggregator.RunReport
	for batch := 0; batch < 3; batch++ {
		var fs []aggregator.Failure
		for i := 0; i < 60; i++ {
			fs = append(fs, aggregator.Failure{UserID: fmt.Sprintf("u%03d", 200-batch*60-i), Month: "2024-01"})
		}
		r.AddFailures(fs)
	}
	if r.BucketsFailed != 180 || len(r.Failures) != aggregator.MaxReportedFailures {
		t.Fatalf("buckets_failed = %d, %d listed; want 180 and %d", r.BucketsFailed, len(r.Failures), aggregator.MaxReportedFailures)
	}
	for i := 1; i < len(r.Failures); i++ {
		if r.Failures[i-1].UserID > r.Failures[i].UserID {
			t.Fatalf("failures out of order at %d: %v", i, r.Failures[i-1:i+1])
		}
	}
}
