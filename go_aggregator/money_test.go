package aggregator_test

import (
	"math"
	"testing"

	aggregator "finance/go_aggregator"
)

func TestAddMinor(t *testing.T) {
	tests := []struct {
		a, b     int64
		want     int64
		overflow bool
	}{
		{0, 0, 0, false},
		{150, 250, 400, false},
		{math.MaxInt64 - 5, 5, math.MaxInt64, false},
		{math.MaxInt64, 1, 0, true},
		{math.MaxInt64, math.MaxInt64, 0, true},
		{math.MinInt64 + 1, -1, math.MinInt64, false},
		{math.MinInt64, -1, 0, true},
		{-100, 40, -60, false},
	}
	for _, tt := range tests {
		got, err := aggregator.AddMinor(tt.a, tt.b)
		if tt.overflow {
			if aggregator.ErrorCode(err) != aggregator.EOVERFLOW {
				t.Errorf("AddMinor(%d, %d): err = %v, want overflow", tt.a, tt.b, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("AddMinor(%d, %d) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
	}
}
