package inference

import "bytes"

// OnToken is called by a backend with each output token as it is sampled: index is its
// position in Result.OutputTokens, id the token, piece the bytes it adds to Result.Text.
// Concatenated in order, the pieces are exactly Result.Text, and the ids exactly
// Result.OutputTokens; the end-of-generation token (Result.StopToken) is never reported.
// piece is the callee's to keep. The callback runs on the generation's goroutine: it must
// return quickly, and it changes nothing in the result or its audit trace.
type OnToken func(index int, id uint32, piece []byte)

// cleanWindow bounds, in bytes from the end of the text, what llama.cpp's space clean-up
// (cleanUpSpaces: " ." -> ".", " ' " -> "'", " 's" -> "'s") may still change when more
// tokens follow: its passes only remove spaces, each deciding from a byte or two around
// the space. TestPieceSplitterCleanSpaces checks it on 200,000 adversarial texts, where 3
// is the smallest window that holds.
const cleanWindow = 4

// pieceSplitter cuts the text of a generation into the pieces OnToken reports, such that
// every byte reported is final. The text is rendered as llama_detokenize does (see
// joinPieces): without the space clean-up a token's piece is final at once; with it, the
// last cleanWindow bytes wait while a space lies among the last cleanWindow bytes of the
// raw pieces (a later token may still remove it), so a token may be reported a token or
// two late, and whatever still waits is reported when the generation ends (finish). A
// trailing NUL byte waits too: the llama backend's text drops one at the very end.
type pieceSplitter struct {
	on             OnToken
	addSpacePrefix bool
	cleanSpaces    bool
	// deferAll: the vocabulary's detokenizer settings are unknown, so no byte is known
	// to be final before the generation ends; tokens are reported by finish.
	deferAll bool

	added   int    // tokens added
	raw     []byte // the pieces so far, the first token's leading space dropped
	text    []byte // raw with the space clean-up applied
	sent    int    // bytes of text reported
	pending []pendingPiece
}

// pendingPiece is a token not yet reported: end is the length of the text it completed.
type pendingPiece struct {
	index int
	id    uint32
	end   int
}

func newPieceSplitter(on OnToken, addSpacePrefix, cleanSpaces, known bool) *pieceSplitter {
	return &pieceSplitter{on: on, addSpacePrefix: addSpacePrefix, cleanSpaces: cleanSpaces, deferAll: !known}
}

// add takes the next output token and its piece as llama_token_to_piece renders it
// (special tokens not shown), and reports every token whose bytes are now final.
func (p *pieceSplitter) add(index int, id uint32, piece []byte) {
	if p.added == 0 && p.addSpacePrefix && len(piece) > 0 && piece[0] == ' ' {
		piece = piece[1:]
	}
	p.added++
	p.raw = append(p.raw, piece...)
	if p.cleanSpaces {
		p.text = cleanUpSpaces(append(p.text[:0], p.raw...))
	} else {
		p.text = p.raw
	}
	p.pending = append(p.pending, pendingPiece{index: index, id: id, end: len(p.text)})
	stable := p.stable()
	for len(p.pending) > 0 && p.pending[0].end <= stable {
		p.report(p.text, p.pending[0].end)
	}
}

// stable is how many bytes of text no later token can change.
func (p *pieceSplitter) stable() int {
	if p.deferAll {
		return 0
	}
	n := len(p.text)
	if p.cleanSpaces && bytes.IndexByte(p.raw[max(0, len(p.raw)-cleanWindow):], ' ') >= 0 {
		n = max(0, n-cleanWindow)
	}
	if n > 0 && n == len(p.text) && p.text[n-1] == 0 {
		n--
	}
	return n
}

// report hands the first pending token the text up to end (never before what was sent).
func (p *pieceSplitter) report(text []byte, end int) {
	t := p.pending[0]
	p.pending = p.pending[1:]
	end = min(max(end, p.sent), len(text))
	start := min(p.sent, end)
	p.sent = end
	p.on(t.index, t.id, bytes.Clone(text[start:end]))
}

// finish reports the tokens still waiting once the generation has ended, against the
// final text (Result.Text): the last one takes whatever remains.
func (p *pieceSplitter) finish(final string) {
	text := []byte(final)
	for len(p.pending) > 0 {
		end := p.pending[0].end
		if len(p.pending) == 1 {
			end = len(text)
		}
		p.report(text, end)
	}
}
