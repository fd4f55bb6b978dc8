package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/loupehq/loupe/shared/loupe"
)

// maxRecordLines is the most physical lines one record may span (a quoted
// cell with line breaks, such as a postal address). A quote still open after
// it, or at the end of the file, is a broken quote: its row is reported and
// reading resumes at the next line, so one bad quote never swallows the rest
// of the file.
const maxRecordLines = 32

// Encodings Import converts from (Options.Encoding).
var encodings = map[string]*charmap.Charmap{
	"latin1":       charmap.ISO8859_1,
	"iso-8859-1":   charmap.ISO8859_1,
	"windows-1252": charmap.Windows1252,
	"cp1252":       charmap.Windows1252,
}

// physLine is one physical line of the file and its number (1-based).
type physLine struct {
	text []byte
	n    int
}

// recordReader splits a CSV stream into records by physical lines, so that
// a broken record costs only its own row. It counts the bytes it reads.
type recordReader struct {
	br     *bufio.Reader
	buf    []physLine // lines read and not yet part of a returned record
	lines  int        // physical lines read
	bytes  int64
	eof    bool
	conv   *charmap.Charmap // nil: the file must be UTF-8
	header int              // the header's cell count, 0 before the header
}

// newRecordReader reads r, converting from encoding ("" or "utf-8": none).
// Returns an EINVALID *loupe.Error for an unknown encoding.
func newRecordReader(r io.Reader, encoding string) (*recordReader, error) {
	rr := &recordReader{br: bufio.NewReaderSize(r, 64<<10)}
	switch e := strings.ToLower(encoding); e {
	case "", "utf-8", "utf8":
	default:
		cm, ok := encodings[e]
		if !ok {
			return nil, loupe.Invalidf("encoding", "unknown encoding %q: want utf-8, latin1 or windows-1252", encoding)
		}
		rr.conv = cm
	}
	return rr, nil
}

// readLine appends the next physical line to buf; false at the end.
func (r *recordReader) readLine() (bool, error) {
	if r.eof {
		return false, nil
	}
	b, err := r.br.ReadBytes('\n')
	r.bytes += int64(len(b))
	if errors.Is(err, io.EOF) {
		r.eof = true
		if len(b) == 0 {
			return false, nil
		}
	} else if err != nil {
		return false, err
	}
	r.lines++
	if r.lines == 1 {
		b = bytes.TrimPrefix(b, []byte("\uFEFF")) // a byte order mark from spreadsheet exports
	}
	if r.conv != nil {
		if b, err = r.conv.NewDecoder().Bytes(b); err != nil {
			return false, fmt.Errorf("line %d: %w", r.lines, err)
		}
	}
	r.buf = append(r.buf, physLine{text: b, n: r.lines})
	return true, nil
}

// next returns the cells of the next record and its first line. A bad
// record comes back as a RowError (nil cells) and costs only its first line:
// a quote left open, cells that are not valid CSV, or bytes that are not
// UTF-8. Empty lines are skipped. Returns io.EOF at the end, or the read
// error.
func (r *recordReader) next() ([]string, int, error) {
	for {
		if len(r.buf) == 0 {
			ok, err := r.readLine()
			if err != nil {
				return nil, 0, err
			}
			if !ok {
				return nil, 0, io.EOF
			}
		}
		first := r.buf[0]
		if len(bytes.TrimRight(first.text, "\r\n")) == 0 {
			r.buf = r.buf[1:]
			continue
		}
		open, i := false, 0
		for {
			if i == len(r.buf) {
				ok, err := r.readLine()
				if err != nil {
					return nil, 0, err
				}
				if !ok {
					break
				}
			}
			open = open != (bytes.Count(r.buf[i].text, []byte{'"'})%2 == 1)
			i++
			if !open || i >= maxRecordLines {
				break
			}
		}
		if open {
			r.buf = r.buf[1:]
			msg := "broken quote: a quoted cell is never closed (the next lines are read as rows of their own)"
			if _, err := parseRecord(first.text); errors.Is(err, csv.ErrBareQuote) {
				msg = "malformed CSV: " + err.Error()
			}
			return nil, first.n, RowError{Line: first.n, Message: msg}
		}
		var rec []byte
		for _, l := range r.buf[:i] {
			rec = append(rec, l.text...)
		}
		if !utf8.Valid(rec) {
			r.buf = r.buf[i:]
			return nil, first.n, RowError{Line: first.n, Message: "not UTF-8 (a Latin-1 or Windows-1252 export?): save the file as UTF-8, or import it with --encoding latin1 or --encoding windows-1252"}
		}
		cells, err := parseRecord(rec)
		if err == nil && i > 1 && r.header > 0 && len(cells) != r.header {
			err = errors.New("a quoted cell spans lines but the row does not fit the header")
		}
		if err != nil {
			// A record of several lines that does not parse is a stray quote
			// pairing with a later one: only the first line is lost.
			if i > 1 {
				r.buf = r.buf[1:]
			} else {
				r.buf = r.buf[i:]
			}
			return nil, first.n, RowError{Line: first.n, Message: "malformed CSV: " + err.Error()}
		}
		r.buf = r.buf[i:]
		if r.header == 0 {
			r.header = len(cells)
		}
		return cells, first.n, nil
	}
}

// parseRecord parses one record's bytes. A parse error is returned bare
// (csv.ErrQuote, csv.ErrBareQuote, ...), without csv's own line numbers.
func parseRecord(rec []byte) ([]string, error) {
	if bytes.IndexByte(rec, '"') < 0 {
		// No quotes: the cells are the text between commas (what
		// encoding/csv returns, without its reader per record).
		return strings.Split(string(bytes.TrimRight(rec, "\r\n")), ","), nil
	}
	cr := csv.NewReader(bytes.NewReader(rec))
	cr.FieldsPerRecord = -1
	cells, err := cr.Read()
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return cells, err
}
