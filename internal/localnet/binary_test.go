package localnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSetBinary: the new binary is recorded (an attached network and its CLI use it);
// a path that is no file is refused and changes nothing.
func TestSetBinary(t *testing.T) {
	home := t.TempDir()
	n := &Network{home: home, procs: map[int]*process{}, st: state{Binary: "/old/sovrad", Validators: []ValidatorInfo{{Name: "v"}}}}
	if err := n.saveLocked(); err != nil {
		t.Fatal(err)
	}
	if err := n.SetBinary(filepath.Join(home, "missing", "sovrad")); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing binary: %v, want not found", err)
	}
	if err := n.SetBinary(home); err == nil {
		t.Fatal("a directory accepted as the binary")
	}
	if n.Binary() != "/old/sovrad" {
		t.Fatalf("binary %s after refusals", n.Binary())
	}
	bin := filepath.Join(home, "sovrad-v2")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := n.SetBinary(bin); err != nil {
		t.Fatal(err)
	}
	attached, err := Attach(home)
	if err != nil {
		t.Fatal(err)
	}
	if attached.Binary() != bin || attached.Client().Binary != bin {
		t.Fatalf("attached network runs %s (CLI %s), want %s", attached.Binary(), attached.Client().Binary, bin)
	}
}
