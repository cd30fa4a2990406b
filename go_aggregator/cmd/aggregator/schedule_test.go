package main

import (
	"bytes"
	"strings"
	"testing"

	aggregator "finance/go_aggregator"
)

func TestSchedule_AnswersEachLine(t *testing.T) {
	in := strings.Join([]string{
		`{"frequency":"monthly","interval":1,"start":"2024-01-31","end":null,"count":null,"take":4}`,
		``,
		`{"frequency":"yearly","interval":1,"start":"2024-02-29","end":null,"count":null,"on_or_after":"2025-03-01"}`,
		`{"name":"a case of the shared table","frequency":"weekly","interval":2,"start":"2024-01-05","end":null,"count":3,"take":10,"dates":[]}`,
		`{"frequency":"daily","interval":1,"start":"2024-03-01","end":"2024-02-28","count":null,"take":3}`,
	}, "\n")
	var out bytes.Buffer
	if err := runSchedule(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := `{"dates":["2024-01-31","2024-02-29","2024-03-31","2024-04-30"]}
{"index":2}
{"dates":["2024-01-05","2024-01-19","2024-02-02"]}
{"dates":[]}
`
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSchedule_BadLineIsInvalid(t *testing.T) {
	good := `{"frequency":"daily","interval":1,"start":"2024-01-01","take":1}` + "\n"
	for _, bad := range []string{
		`not json`,
		`{"frequency":"hourly","interval":1,"start":"2024-01-01","take":1}`,
		`{"frequency":"daily","interval":0,"start":"2024-01-01","take":1}`,
		`{"frequency":"daily","interval":1.5,"start":"2024-01-01","take":1}`,
		`{"frequency":"daily","start":"2024-01-01","take":1}`,
		`{"frequency":"daily","interval":1,"start":"2023-02-29","take":1}`,
		`{"frequency":"daily","interval":1,"start":"2024-01-01","end":"2024-1-2","take":1}`,
		`{"frequency":"daily","interval":1,"start":"2024-01-01","count":0,"take":1}`,
		`{"frequency":"daily","interval":1,"start":"2024-01-01","take":-1}`,
		`{"frequency":"daily","interval":1,"start":"2024-01-01"}`,
		`{"frequency":"daily","interval":1,"start":"2024-01-01","take":1,"on_or_after":"2024-01-01"}`,
	} {
		var out bytes.Buffer
		err := runSchedule(strings.NewReader(good+bad+"\n"+good), &out)
		if aggregator.ErrorCode(err) != aggregator.EINVALID || !strings.Contains(aggregator.ErrorMessage(err), "line 2") {
			t.Errorf("%s: got %v, want an invalid error naming line 2", bad, err)
		}
		if got := out.String(); got != `{"dates":["2024-01-01"]}`+"\n" {
			t.Errorf("%s: got output %q, want the first line's answer only", bad, got)
		}
	}
}
