package gguf

import (
	"fmt"
	"strings"
)

// SentencePiece token types (llama.cpp llama_token_type).
const (
	TokenNormal      int32 = 1
	TokenUnknown     int32 = 2
	TokenControl     int32 = 3
	TokenUserDefined int32 = 4
	TokenUnused      int32 = 5
	TokenByte        int32 = 6
)

// Special token ids of the built-in vocabulary (the llama SentencePiece layout).
const (
	UnkID = 0
	BOSID = 1
	EOSID = 2
)

// wordStart is SentencePiece's word-start marker (U+2581).
const wordStart = "\u2581"

// commonWords seed the built-in vocabulary. Each word also contributes its
// "▁"-prefixed prefixes so the SentencePiece bigram merge can reach it.
var commonWords = strings.Fields(`
the of and to in is it that for on was with as at by be this are from or an
not but have has had which one all were we when there can their what so if
about out up no more time only new some could them these than then its two
may first any like now my such make over did our even most after also made
many before must through back years where much your way well down should
because each just those people how too little state good very world still
own see men work long get here between both life being under never day same
another know while last might us great old year off come since against go
came right used take three hello model chain token block proof price job
verify node user agent data value hash seed answer question text story
`)

// builtinVocab returns a byte-fallback SentencePiece vocabulary: <unk>, <s>,
// </s>, the 256 byte tokens <0x00>..<0xFF>, then pieces for letters, digits,
// punctuation and common words (with word-start markers), scored so that
// earlier pieces merge first.
func builtinVocab() (tokens []string, scores []float32, types []int32) {
	add := func(tok string, score float32, typ int32) {
		tokens = append(tokens, tok)
		scores = append(scores, score)
		types = append(types, typ)
	}
	add("<unk>", 0, TokenUnknown)
	add("<s>", 0, TokenControl)
	add("</s>", 0, TokenControl)
	for b := 0; b < 256; b++ {
		add(fmt.Sprintf("<0x%02X>", b), 0, TokenByte)
	}

	seen := map[string]bool{}
	var pieces []string
	piece := func(p string) {
		if !seen[p] {
			seen[p] = true
			pieces = append(pieces, p)
		}
	}
	piece(wordStart)
	for c := 'a'; c <= 'z'; c++ {
		piece(string(c))
	}
	for c := 'A'; c <= 'Z'; c++ {
		piece(string(c))
	}
	for c := '0'; c <= '9'; c++ {
		piece(string(c))
	}
	for _, c := range ".,;:!?'\"-()[]{}/@#$%&*+=<>_" {
		piece(string(c))
	}
	for _, c := range "abcdefghijklmnopqrstuvwxyz" {
		piece(wordStart + string(c))
	}
	for _, w := range commonWords {
		full := wordStart + w
		// Prefixes (▁t, ▁th, ▁the) let the left-to-right merges build the word.
		for i := len(wordStart) + 1; i <= len(full); i++ {
			piece(full[:i])
		}
	}
	for i, p := range pieces {
		add(p, -float32(i), TokenNormal)
	}
	return tokens, scores, types
}

// builtinTokenizerKV is the tokenizer metadata of the built-in vocabulary.
func builtinTokenizerKV() []KV {
	tokens, scores, types := builtinVocab()
	return []KV{
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.bos_token_id", uint32(BOSID)},
		{"tokenizer.ggml.eos_token_id", uint32(EOSID)},
		{"tokenizer.ggml.unknown_token_id", uint32(UnkID)},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
	}
}

// fileTokenizerKV copies every tokenizer.* key of a (vocab-only) GGUF file.
func fileTokenizerKV(path string) ([]KV, error) {
	f, err := Read(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: vocab file: %w", err)
	}
	var out []KV
	for _, kv := range f.Metadata {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			out = append(out, kv)
		}
	}
	v, ok := f.Get("tokenizer.ggml.tokens")
	if toks, isStrings := v.([]string); !ok || !isStrings || len(toks) == 0 {
		return nil, fmt.Errorf("gguf: vocab file %s has no tokenizer.ggml.tokens string array", path)
	}
	return out, nil
}

// vocabSize is the length of tokenizer.ggml.tokens in kvs.
func vocabSize(kvs []KV) int {
	for _, kv := range kvs {
		if kv.Key == "tokenizer.ggml.tokens" {
			if t, ok := kv.Value.([]string); ok {
				return len(t)
			}
		}
	}
	return 0
}
