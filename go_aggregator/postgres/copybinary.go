package postgres

import (
	"bytes"
	"encoding/binary"

	aggregator "finance/go_aggregator"
)

// copySignature opens every COPY ... (FORMAT binary) stream.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

// maxCopyFields bounds the fields of a tuple copyParser accepts.
const maxCopyFields = 8

// copyParser parses a binary COPY stream, fed by PgConn.CopyTo, and hands
// each tuple's fields (no NULLs allowed) to tuple; the slices are only valid
// during the call. PostgreSQL sends about one tuple per CopyData message, so
// a tuple split across writes is rare; the remainder is then kept in buf.
type copyParser struct {
	fields     int // fields per tuple, at most maxCopyFields
	tuple      func(f [][]byte) error
	what       string // the table read, for errors
	buf        []byte
	headerDone bool
	trailer    bool
	scratch    [maxCopyFields][]byte // the current tuple's fields; a local would escape through tuple
}

// transactionTuples turns (user_id uuid, date date, category_key text, type text,
// amount_minor bigint) tuples into rows of an aggregator.Input. Known users
// and categories are looked up by their bytes, so the steady state allocates
// nothing per row.
type transactionTuples struct {
	in *aggregator.Input

	// Cache of the last date seen: transactions cluster by date.
	lastDays  int32
	lastMonth aggregator.Month
	haveLast  bool
}

// newTransactionParser returns a parser of fullCopySQL's stream into in.
func newTransactionParser(in *aggregator.Input) *copyParser {
	t := &transactionTuples{in: in}
	return &copyParser{fields: 5, tuple: t.tuple, what: "ledger_transaction"}
}

// Write consumes one chunk of the stream.
func (p *copyParser) Write(b []byte) (int, error) {
	data := b
	if len(p.buf) > 0 {
		p.buf = append(p.buf, b...)
		data = p.buf
	}
	used, err := p.parse(data)
	if err != nil {
		return 0, err
	}
	rest := data[used:]
	if len(p.buf) > 0 {
		n := copy(p.buf, rest)
		p.buf = p.buf[:n]
	} else if len(rest) > 0 {
		p.buf = append(p.buf[:0], rest...)
	}
	return len(b), nil
}

// finish reports a stream cut short.
func (p *copyParser) finish() error {
	if !p.trailer || len(p.buf) > 0 {
		return aggregator.Errorf(aggregator.EINTERNAL, "binary COPY stream ended early")
	}
	return nil
}

// parse consumes every complete header or tuple in data and returns the
// number of bytes used.
func (p *copyParser) parse(data []byte) (int, error) {
	off := 0
	if !p.headerDone {
		const fixed = 11 + 4 + 4
		if len(data) < fixed {
			return 0, nil
		}
		if !bytes.Equal(data[:11], copySignature) {
			return 0, aggregator.Errorf(aggregator.EINTERNAL, "not a binary COPY stream")
		}
		ext := int(binary.BigEndian.Uint32(data[15:19]))
		if len(data) < fixed+ext {
			return 0, nil
		}
		off = fixed + ext
		p.headerDone = true
	}
	for off+2 <= len(data) {
		if p.trailer {
			return 0, aggregator.Errorf(aggregator.EINTERNAL, "data after binary COPY trailer")
		}
		nfields := int16(binary.BigEndian.Uint16(data[off:]))
		if nfields == -1 {
			p.trailer = true
			off += 2
			continue
		}
		if int(nfields) != p.fields {
			return 0, aggregator.Errorf(aggregator.EINTERNAL, "binary COPY tuple has %d fields, want %d", nfields, p.fields)
		}
		// Locate the fields; stop if the tuple is incomplete.
		fields := &p.scratch
		pos := off + 2
		complete := true
		for i := 0; i < p.fields; i++ {
			if pos+4 > len(data) {
				complete = false
				break
			}
			n := int32(binary.BigEndian.Uint32(data[pos:]))
			pos += 4
			if n < 0 {
				return 0, aggregator.Errorf(aggregator.EINVALID, "unexpected NULL in %s", p.what)
			}
			if pos+int(n) > len(data) {
				complete = false
				break
			}
			fields[i] = data[pos : pos+int(n)]
			pos += int(n)
		}
		if !complete {
			break
		}
		if err := p.tuple(fields[:p.fields]); err != nil {
			return 0, err
		}
		off = pos
	}
	return off, nil
}

func (p *transactionTuples) tuple(f [][]byte) error {
	if len(f[1]) != 4 || len(f[4]) != 8 {
		return aggregator.Errorf(aggregator.EINTERNAL, "unexpected binary COPY field sizes")
	}
	user := p.in.User(f[0])
	days := int32(binary.BigEndian.Uint32(f[1]))
	if !p.haveLast || days != p.lastDays {
		m, err := aggregator.MonthOfPGDate(days)
		if err != nil {
			// A date no "YYYY-MM" names (written outside the API): this
			// user's rollups are left as they are; the others go on.
			p.in.FailUser(user, err)
			return nil
		}
		p.lastDays, p.lastMonth, p.haveLast = days, m, true
	}
	typ, err := aggregator.ParseTxnType(f[3])
	if err != nil {
		p.in.FailBucket(user, p.lastMonth, err)
		return nil
	}
	amount := int64(binary.BigEndian.Uint64(f[4]))
	return p.in.Add(user, p.in.Category(f[2]), p.lastMonth, typ, amount)
}
