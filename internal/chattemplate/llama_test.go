package chattemplate

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hybridgroup/yzma/pkg/llama"

	"github.com/sovra-network/sovra/testutil/llamaenv"
)

// These tests compare the package with llama.cpp itself (the libraries of make
// llama-libs, through yzma). They skip when the libraries are missing, unless
// SOVRA_REQUIRE_LLAMA is set (testutil/llamaenv).

var update = flag.Bool("update", false, "rewrite testdata/golden.json from llama.cpp")

var (
	loadOnce sync.Once
	loadErr  error
)

func loadLlama(t *testing.T) {
	t.Helper()
	dir := llamaenv.LibDir(t)
	loadOnce.Do(func() {
		if loadErr = llama.Load(dir); loadErr == nil {
			llama.LogSet(llama.LogSilent())
		}
	})
	if loadErr != nil {
		t.Fatalf("load llama.cpp from %s: %v", dir, loadErr)
	}
}

// llamaApply is llama_chat_apply_template: ok is false where it returns a negative length.
func llamaApply(tmplOrName string, msgs []Message, addAss bool) (string, bool) {
	// yzma refuses a Go string holding a NUL; the C function would read up to it.
	if i := strings.IndexByte(tmplOrName, 0); i >= 0 {
		tmplOrName = tmplOrName[:i]
	}
	chat := make([]llama.ChatMessage, len(msgs))
	for i, m := range msgs {
		chat[i] = llama.NewChatMessage(m.Role, m.Content)
	}
	buf := make([]byte, 256)
	for {
		n := llama.ChatApplyTemplate(tmplOrName, chat, addAss, buf)
		if n < 0 {
			return "", false
		}
		if int(n) <= len(buf) {
			return string(buf[:n]), true
		}
		buf = make([]byte, n)
	}
}

// TestMatchesLlamaCpp: for every name and every conversation, with and without the
// assistant prefix, Apply equals llama_chat_apply_template byte for byte, or refuses a
// chat the format cannot express (ErrRole). -update writes testdata/golden.json from
// llama.cpp's outputs.
func TestMatchesLlamaCpp(t *testing.T) {
	loadLlama(t)
	var g golden
	g.Source = "llama_chat_apply_template of the llama.cpp release in .llama/src (node-llama-cpp's v0.5.0 libraries through yzma): TestMatchesLlamaCpp -update"
	rendered := 0
	for _, name := range Names() {
		// llama.cpp knows dots1 only by detection: pass text it detects as dots1.
		arg := name
		if name == "dots1" {
			arg = "<|endofuserprompt|>"
		}
		for _, c := range conversations {
			for _, addAss := range []bool{false, true} {
				want, ok := llamaApply(arg, c.Messages, addAss)
				if !ok {
					t.Fatalf("llama.cpp refuses %s (%s)", name, arg)
				}
				got, err := Apply(name, c.Messages, addAss)
				e := goldenEntry{Template: name, Conversation: c.Name, AddAssistant: addAss, Want: want}
				switch {
				case errors.Is(err, ErrRole):
					e.Refused = true
				case err != nil:
					t.Errorf("%s / %s: %v", name, c.Name, err)
				case got != want:
					t.Errorf("%s / %s / add_assistant=%v:\n    go %q\nllama %q", name, c.Name, addAss, got, want)
				default:
					rendered++
				}
				g.Entries = append(g.Entries, e)
			}
		}
	}
	t.Logf("%d chats rendered identically, %d refused", rendered, len(g.Entries)-rendered)
	if *update {
		b, err := json.MarshalIndent(g, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.FromSlash(goldenPath), append(b, '\n'), 0o644); err != nil { //nolint:gosec // G306: test data
			t.Fatal(err)
		}
		return
	}
	// The golden file is what the library renders today.
	if have := readGolden(t); !slices.Equal(have.Entries, g.Entries) {
		t.Fatal("testdata/golden.json differs from llama.cpp's outputs: go test -run TestMatchesLlamaCpp -update")
	}
}

// TestBuiltinNamesMatchLlamaCpp: Names is llama_chat_builtin_templates plus dots1.
func TestBuiltinNamesMatchLlamaCpp(t *testing.T) {
	loadLlama(t)
	builtin := llama.ChatBuiltinTemplates()
	ours := slices.DeleteFunc(Names(), func(n string) bool { return n == "dots1" })
	if !slices.Equal(builtin, ours) {
		t.Fatalf("llama.cpp's built-in templates:\n%v\nours (less dots1):\n%v", builtin, ours)
	}
}

// TestDetectMatchesLlamaCpp: the detection corpus and llama.cpp's own test templates,
// given to llama_chat_apply_template as Jinja, render as Apply(Detect(jinja)) does, and
// llama.cpp refuses exactly the text Detect finds no format in.
func TestDetectMatchesLlamaCpp(t *testing.T) {
	loadLlama(t)
	jinjas := make([]string, 0, len(detectCorpus))
	for _, c := range detectCorpus {
		jinjas = append(jinjas, c.jinja)
	}
	for _, c := range readLlamaCppCases(t) {
		jinjas = append(jinjas, c.Template)
	}
	for _, j := range jinjas {
		name, ok := Detect(j)
		for _, c := range conversations {
			want, llamaOK := llamaApply(j, c.Messages, true)
			if llamaOK != ok {
				t.Fatalf("Detect(%q) = %q, %v; llama.cpp ok = %v", j, name, ok, llamaOK)
			}
			if !ok {
				break
			}
			got, err := Apply(name, c.Messages, true)
			if errors.Is(err, ErrRole) {
				continue
			}
			if err != nil || got != want {
				t.Fatalf("Detect(%q) = %s; %s:\n    go %q, %v\nllama %q", j, name, c.Name, got, err, want)
			}
		}
	}
}

// TestRawBytesMatchLlamaCpp: contents are bytes, not text, to both: invalid UTF-8, C0
// controls and a lone continuation byte render as llama.cpp renders them (the golden file
// is JSON, which cannot hold them).
func TestRawBytesMatchLlamaCpp(t *testing.T) {
	loadLlama(t)
	chat := []Message{
		{"system", "\xff\xfe sys \x85"},
		{"user", "\x01\x1b[31m red \x80 \xc3"},
		{"assistant", "\t\xa0 tail \x7f"},
		{"user", "\xe2\x82"},
	}
	for _, name := range Names() {
		arg := name
		if name == "dots1" {
			arg = "<|endofuserprompt|>"
		}
		msgs := chat
		if name == "deepseek-ocr" || name == "yandex" {
			msgs = chat[1:2]
		}
		for _, addAss := range []bool{false, true} {
			want, ok := llamaApply(arg, msgs, addAss)
			got, err := Apply(name, msgs, addAss)
			if !ok || err != nil || got != want {
				t.Errorf("%s / add_assistant=%v:\n    go %q, %v\nllama %q, %v", name, addAss, got, err, want, ok)
			}
		}
	}
}
