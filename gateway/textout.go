package gateway

import (
	"strings"
	"unicode/utf8"
)

// textOut turns output bytes, as they arrive, into text a client may be sent: whole UTF-8
// characters only (a token can end inside one), nothing that may be the start of a stop
// sequence until it is known not to be, and nothing from the first stop sequence on.
type textOut struct {
	stops   []string
	held    []byte
	stopped bool
}

// push adds bytes and returns the text that can be sent now.
func (t *textOut) push(b []byte) string {
	if t.stopped {
		return ""
	}
	t.held = append(t.held, b...)
	if i := firstStop(t.held, t.stops); i >= 0 {
		out := t.held[:i]
		t.held, t.stopped = nil, true
		return utf8Text(out)
	}
	n := len(t.held) - stopPrefixLen(t.held, t.stops)
	n = completeRunes(t.held[:n])
	out := string(t.held[:n])
	t.held = append([]byte(nil), t.held[n:]...)
	return out
}

// finish returns what is still held: the output ended.
func (t *textOut) finish() string {
	out := utf8Text(t.held)
	t.held = nil
	return out
}

// applyStops cuts text at its first stop sequence; stopped tells whether one was found.
func applyStops(text []byte, stops []string) (string, bool) {
	t := textOut{stops: stops}
	out := t.push(text)
	if t.stopped {
		return out, true
	}
	return out + t.finish(), false
}

func firstStop(b []byte, stops []string) int {
	first := -1
	for _, s := range stops {
		if i := strings.Index(string(b), s); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}

// stopPrefixLen is the longest tail of b that is a proper prefix of a stop sequence.
func stopPrefixLen(b []byte, stops []string) int {
	longest := 0
	for _, s := range stops {
		for n := min(len(s)-1, len(b)); n > longest; n-- {
			if string(b[len(b)-n:]) == s[:n] {
				longest = n
				break
			}
		}
	}
	return longest
}

// completeRunes is the length of b without a trailing incomplete UTF-8 sequence.
func completeRunes(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

// utf8Text renders output bytes as text, each byte that is not part of a valid UTF-8
// character as U+FFFD, as encoding/json does: a model may emit any bytes, and the text a
// client gets is the same whether it was streamed in pieces or sent whole.
func utf8Text(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:size])
		}
		b = b[size:]
	}
	return sb.String()
}
