package inference

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// reported is what an OnToken callback saw.
type reported struct {
	ids    []uint32
	text   []byte
	byStep []int // how many tokens had been reported when each token was added
}

func (r *reported) on(index int, id uint32, piece []byte) {
	if index != len(r.ids) {
		panic("token reported out of order")
	}
	r.ids = append(r.ids, id)
	r.text = append(r.text, piece...)
}

// split runs a splitter over pieces and returns what it reported; want is the text the
// pieces render to (joinPieces, a trailing NUL dropped, as the backends' Result.Text).
func split(pieces [][]byte, addSpacePrefix, cleanSpaces, known bool) (r *reported, want string) {
	r = &reported{}
	text := joinPieces(pieces, addSpacePrefix, cleanSpaces)
	if n := len(text); n > 0 && text[n-1] == 0 {
		text = text[:n-1]
	}
	s := newPieceSplitter(r.on, addSpacePrefix, cleanSpaces, known)
	for i, p := range pieces {
		s.add(i, uint32(i), bytes.Clone(p))
		r.byStep = append(r.byStep, len(r.ids))
	}
	s.finish(string(text))
	return r, string(text)
}

// randomPieces draws pieces from bytes that the space clean-up acts on.
func randomPieces(rng *rand.Rand, alphabet string) [][]byte {
	ps := make([][]byte, rng.IntN(20))
	for i := range ps {
		p := make([]byte, rng.IntN(4))
		for j := range p {
			p[j] = alphabet[rng.IntN(len(alphabet))]
		}
		ps[i] = p
	}
	return ps
}

// TestPieceSplitterCleanSpaces: on random texts made of the bytes llama.cpp's space
// clean-up acts on (spaces, apostrophes, punctuation, the letters of contractions), the
// pieces reported concatenate to exactly the final text, under every detokenizer setting:
// no byte was reported before it was final.
func TestPieceSplitterCleanSpaces(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "  ''.,?!smtdrvelx\x00"
	for n := range 200_000 {
		ps := randomPieces(rng, alphabet)
		flags := n % 4
		r, want := split(ps, flags&1 != 0, flags&2 != 0, true)
		if string(r.text) != want || len(r.ids) != len(ps) {
			t.Fatalf("pieces %q (add_space_prefix %v, clean_spaces %v): reported %d tokens, %q; want %d, %q",
				ps, flags&1 != 0, flags&2 != 0, len(r.ids), r.text, len(ps), want)
		}
	}
}

// TestPieceSplitterStreams: without the clean-up each token is reported as it is added
// (a trailing NUL byte waits for the next token); with unknown settings, at the end.
func TestPieceSplitterStreams(t *testing.T) {
	ps := [][]byte{[]byte(" Hello"), []byte(","), []byte(" world"), {}, []byte("\x00"), []byte("!"), []byte(" ")}
	r, want := split(ps, true, false, true)
	if string(r.text) != want || want != "Hello, world\x00! " {
		t.Fatalf("reported %q, want %q", r.text, want)
	}
	if !slices.Equal(r.byStep, []int{1, 2, 3, 4, 4, 6, 7}) {
		t.Fatalf("tokens reported after each add: %v", r.byStep)
	}
	r, want = split(ps, true, false, false)
	if string(r.text) != want || !slices.Equal(r.byStep, []int{0, 0, 0, 0, 0, 0, 0}) || len(r.ids) != len(ps) {
		t.Fatalf("unknown settings: reported %q after steps %v", r.text, r.byStep)
	}
	// With the clean-up, a token waits only while a space is near the end.
	r, want = split([][]byte{[]byte("Hello"), []byte("World"), []byte(" ."), []byte("abcdefghij")}, false, true, true)
	if string(r.text) != want || want != "HelloWorld.abcdefghij" || !slices.Equal(r.byStep, []int{1, 2, 2, 4}) {
		t.Fatalf("clean-up: reported %q after steps %v", r.text, r.byStep)
	}
	// A trailing NUL at the very end is dropped, as the llama backend's text drops it.
	r, want = split([][]byte{[]byte("a"), []byte("\x00")}, false, false, true)
	if string(r.text) != "a" || want != "a" || len(r.ids) != 2 {
		t.Fatalf("trailing NUL: reported %q (%d tokens)", r.text, len(r.ids))
	}
}
