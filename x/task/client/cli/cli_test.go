package cli

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseMilli(t *testing.T) {
	for in, want := range map[string]uint32{"0": 0, "0.7": 700, "1": 1000, "1.25": 1250, "2": 2000, "0.001": 1} {
		got, err := parseMilli("temperature", in, 2000)
		if err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-0.1", "2.001", "0.0001", "3"} {
		if _, err := parseMilli("temperature", bad, 2000); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestReadResultFileRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, path := range map[string]string{
		"missing file":    filepath.Join(dir, "nope.json"),
		"not json":        write("a.json", "tokens: 1"),
		"no output":       write("b.json", `{"prompt_tokens":[1],"output_tokens":[]}`),
		"no prompt":       write("c.json", `{"output_tokens":[1]}`),
		"negative tokens": write("d.json", `{"prompt_tokens":[-1],"output_tokens":[1]}`),
	} {
		if _, err := readResultFile(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	rf, err := readResultFile(write("ok.json", `{"prompt_tokens":[1,2],"output_tokens":[3],"text":"hi"}`))
	if err != nil || rf.Text != "hi" || len(rf.PromptTokens) != 2 {
		t.Fatalf("valid file: %+v %v", rf, err)
	}
}
