package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	aggregator "finance/go_aggregator"
)

// scheduleRequest is one input line of `aggregator schedule`: a rule and
// either take (answer its first take dates) or on_or_after (answer the index
// of its first occurrence on or after that day). Other keys are ignored, so
// that a case of testdata/schedules.json (with its name and expected answer)
// can be fed as it is.
type scheduleRequest struct {
	Frequency *string `json:"frequency"`
	Interval  *int64  `json:"interval"`
	Start     *string `json:"start"`
	End       *string `json:"end"`
	Count     *int64  `json:"count"`
	Take      *int64  `json:"take"`
	OnOrAfter *string `json:"on_or_after"`
}

// scheduleDates and scheduleIndex are the two answers.
type scheduleDates struct {
	Dates []string `json:"dates"`
}

type scheduleIndex struct {
	Index int64 `json:"index"`
}

// runSchedule answers the JSON lines of in, one line each on out, for the
// cross-language test of the schedule arithmetic
// (tests/ledger/test_schedules.py). Blank lines are skipped. The first bad
// line ends it with an EINVALID error (exit 2); the lines before it are
// answered.
func runSchedule(in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	w := bufio.NewWriter(out)
	for lineNo := 1; ; lineNo++ {
		line, readErr := r.ReadBytes('\n')
		if readErr != nil && !errors.Is(readErr, io.EOF) {
			w.Flush()
			return fmt.Errorf("read stdin: %w", readErr)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			answer, err := answerSchedule(line)
			if err != nil {
				w.Flush()
				return aggregator.Errorf(aggregator.EINVALID, "schedule: line %d: %s", lineNo, aggregator.ErrorMessage(err))
			}
			b, err := json.Marshal(answer)
			if err != nil {
				return fmt.Errorf("encode answer: %w", err)
			}
			w.Write(append(b, '\n'))
		}
		if readErr != nil { // EOF
			return w.Flush()
		}
		// Flush before blocking on the next read: a caller writing one line
		// and waiting for its answer gets it.
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return fmt.Errorf("write stdout: %w", err)
			}
		}
	}
}

// answerSchedule parses one request and computes its answer.
func answerSchedule(line []byte) (any, error) {
	var req scheduleRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return nil, aggregator.Errorf(aggregator.EINVALID, "not a JSON object of a rule: %v", err)
	}
	s, err := req.schedule()
	if err != nil {
		return nil, err
	}
	switch {
	case (req.Take == nil) == (req.OnOrAfter == nil):
		return nil, aggregator.Errorf(aggregator.EINVALID, "give exactly one of take and on_or_after")
	case req.OnOrAfter != nil:
		day, err := aggregator.ParseDate(*req.OnOrAfter)
		if err != nil {
			return nil, err
		}
		return scheduleIndex{s.FirstIndexOnOrAfter(day)}, nil
	case *req.Take < 0:
		return nil, aggregator.Errorf(aggregator.EINVALID, "take must be at least 0, got %d", *req.Take)
	}
	answer := scheduleDates{Dates: []string{}}
	for i := range *req.Take {
		d, ok := s.DateAt(i)
		if !ok {
			break
		}
		answer.Dates = append(answer.Dates, d.String())
	}
	return answer, nil
}

// schedule checks the rule's fields as the table's constraints would.
func (req scheduleRequest) schedule() (aggregator.Schedule, error) {
	var s aggregator.Schedule
	switch {
	case req.Frequency == nil:
		return s, aggregator.Errorf(aggregator.EINVALID, "frequency is missing")
	case req.Interval == nil:
		return s, aggregator.Errorf(aggregator.EINVALID, "interval is missing")
	case req.Start == nil:
		return s, aggregator.Errorf(aggregator.EINVALID, "start is missing")
	}
	var err error
	s.Frequency = aggregator.Frequency(*req.Frequency)
	s.Interval = *req.Interval
	s.Count = req.Count
	if s.Start, err = aggregator.ParseDate(*req.Start); err != nil {
		return s, err
	}
	if req.End != nil {
		end, err := aggregator.ParseDate(*req.End)
		if err != nil {
			return s, err
		}
		s.End = &end
	}
	return s, s.Validate()
}
