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

// transactionTuples turns (user_id uuid, account_id uuid, date date,
// category_key text, type text, amount_minor bigint) tuples into rows of an
// aggregator.Input. Known users, accounts and categories are looked up by
// their bytes, so the steady state allocates nothing per row.
type transactionTuples struct {
	in *aggregator.Input
	dates
}

// transferTuples turns (user_id uuid, from_account_id uuid, to_account_id
// uuid, date date, amount_minor bigint, to_amount_minor bigint) tuples into
// the two legs of each transfer, like transactionTuples.
type transferTuples struct {
	in *aggregator.Input
	dates
}

// dates caches the month of the last binary date seen: rows cluster by date.
type dates struct {
	lastDays  int32
	lastMonth aggregator.Month
	haveLast  bool
}

// month returns the month of a binary date field of user's row; a date no
// "YYYY-MM" names (written outside the API) fails the user (ok false): their
// rollups are left as they are, the others go on.
func (d *dates) month(in *aggregator.Input, user uint32, field []byte) (m aggregator.Month, ok bool) {
	days := int32(binary.BigEndian.Uint32(field))
	if !d.haveLast || days != d.lastDays {
		m, err := aggregator.MonthOfPGDate(days)
		if err != nil {
			in.FailUser(user, err)
			return 0, false
		}
		d.lastDays, d.lastMonth, d.haveLast = days, m, true
	}
	return d.lastMonth, true
}

// newTransactionParser returns a parser of fullCopySQL's stream into in.
func newTransactionParser(in *aggregator.Input) *copyParser {
	t := &transactionTuples{in: in}
	return &copyParser{fields: 6, tuple: t.tuple, what: "ledger_transaction"}
}

// newTransferParser returns a parser of fullTransferCopySQL's stream into in.
func newTransferParser(in *aggregator.Input) *copyParser {
	t := &transferTuples{in: in}
	return &copyParser{fields: 6, tuple: t.tuple, what: "ledger_transfer"}
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
	if len(f[2]) != 4 || len(f[5]) != 8 {
		return aggregator.Errorf(aggregator.EINTERNAL, "unexpected binary COPY field sizes in ledger_transaction")
	}
	user := p.in.User(f[0])
	m, ok := p.month(p.in, user, f[2])
	if !ok {
		return nil
	}
	typ, err := aggregator.ParseTxnType(f[4])
	if err != nil {
		p.in.FailBucket(user, m, err)
		return nil
	}
	amount := int64(binary.BigEndian.Uint64(f[5]))
	return p.in.Add(user, p.in.Account(f[1]), p.in.Category(f[3]), m, typ, amount)
}

func (p *transferTuples) tuple(f [][]byte) error {
	if len(f[3]) != 4 || len(f[4]) != 8 || len(f[5]) != 8 {
		return aggregator.Errorf(aggregator.EINTERNAL, "unexpected binary COPY field sizes in ledger_transfer")
	}
	user := p.in.User(f[0])
	m, ok := p.month(p.in, user, f[3])
	if !ok {
		return nil
	}
	amount, toAmount := int64(binary.BigEndian.Uint64(f[4])), int64(binary.BigEndian.Uint64(f[5]))
	return p.in.AddTransfer(user, p.in.Account(f[1]), p.in.Account(f[2]), m, amount, toAmount)
}
