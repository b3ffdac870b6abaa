package abci_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cosmossdk.io/log/v2"

	beaconabci "github.com/sovra-network/sovra/x/beacon/abci"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// logRecorder is a JSON logger whose lines a test reads back.
type logRecorder struct{ buf bytes.Buffer }

func (r *logRecorder) logger() log.Logger { return log.NewLogger(&r.buf, log.OutputJSONOption()) }

type logLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Err     string `json:"err"`
	Reason  string `json:"reason"`
	State   string `json:"state"`
}

// take returns the lines logged since the last call.
func (r *logRecorder) take(t *testing.T) []logLine {
	t.Helper()
	var out []logLine
	sc := bufio.NewScanner(&r.buf)
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	r.buf.Reset()
	return out
}

func mustKey(t *testing.T, seed byte) vrf.PrivateKey {
	t.Helper()
	k, err := vrf.NewKeyFromSeed(bytes.Repeat([]byte{seed}, vrf.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeConsensusKeyFile(t *testing.T, path string, pub []byte) {
	t.Helper()
	bz, err := json.Marshal(map[string]any{
		"address": strings.Repeat("AB", 20),
		"pub_key": map[string]string{"type": "tendermint/PubKeyEd25519", "value": base64.StdEncoding.EncodeToString(pub)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bz, 0o600); err != nil {
		t.Fatal(err)
	}
}

func samePub(a *vrf.PrivateKey, b vrf.PrivateKey) bool {
	return a != nil && bytes.Equal(a.PubKey(), b.PubKey())
}

// TestFileKeySourceFollowsTheFile: a key file created, replaced, broken, set to the
// consensus key or removed while the node runs: the source loads each good key at the
// next call, keeps the last good key otherwise, and logs once per change.
func TestFileKeySourceFollowsTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config", vrf.KeyFileName)
	pvFile := filepath.Join(dir, "config", "priv_validator_key.json")
	rec := &logRecorder{}
	src := beaconabci.NewFileKeySource(rec.logger(), path, pvFile)

	// No file: no key, one info line, then silence.
	if k := src.Key(); k != nil {
		t.Fatalf("no file: key %v", k)
	}
	if lines := rec.take(t); len(lines) != 1 || lines[0].Level != "info" || !strings.Contains(lines[0].Message, "no VRF key file") {
		t.Fatalf("no file: log %+v", lines)
	}
	for i := 0; i < 3; i++ {
		src.Key()
	}
	if lines := rec.take(t); len(lines) != 0 {
		t.Fatalf("unchanged absence logged again: %+v", lines)
	}

	// Created after start: loaded at the next call, logged once.
	a := mustKey(t, 1)
	if err := vrf.SaveKeyFile(path, a); err != nil {
		t.Fatal(err)
	}
	if k := src.Key(); !samePub(k, a) {
		t.Fatal("the key file created after start was not loaded")
	}
	if lines := rec.take(t); len(lines) != 1 || !strings.Contains(lines[0].Message, "loaded the VRF key file") {
		t.Fatalf("load: log %+v", lines)
	}
	for i := 0; i < 3; i++ {
		if k := src.Key(); !samePub(k, a) {
			t.Fatal("key changed without a file change")
		}
	}
	// Rewritten with the same key (a new file, same content): no new log line.
	if err := vrf.SaveKeyFile(path, a); err != nil {
		t.Fatal(err)
	}
	src.Key()
	if lines := rec.take(t); len(lines) != 0 {
		t.Fatalf("same key rewritten: log %+v", lines)
	}

	// Broken file: refused once with an error, the last good key stays in use.
	if err := os.WriteFile(path, []byte(`{"priv_key":"not base64"`), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if k := src.Key(); !samePub(k, a) {
			t.Fatal("a broken key file dropped the last good key")
		}
	}
	if err := src.FileError(); err == nil {
		t.Fatal("FileError is nil for a broken file")
	}
	if lines := rec.take(t); len(lines) != 1 || lines[0].Level != "error" || !strings.Contains(lines[0].Message, "refusing") {
		t.Fatalf("broken file: log %+v", lines)
	}

	// Replaced by a new key: loaded.
	b := mustKey(t, 2)
	if err := vrf.SaveKeyFile(path, b); err != nil {
		t.Fatal(err)
	}
	if k := src.Key(); !samePub(k, b) {
		t.Fatal("replaced key not loaded")
	}
	if src.FileError() != nil {
		t.Fatalf("FileError after a good file: %v", src.FileError())
	}
	rec.take(t)

	// The consensus key in the VRF key file: refused, b stays.
	c := mustKey(t, 3)
	writeConsensusKeyFile(t, pvFile, c.PubKey())
	if err := vrf.SaveKeyFile(path, c); err != nil {
		t.Fatal(err)
	}
	if k := src.Key(); !samePub(k, b) {
		t.Fatal("the consensus key was accepted as the VRF key")
	}
	if lines := rec.take(t); len(lines) != 1 || !strings.Contains(lines[0].Err, "consensus key") {
		t.Fatalf("consensus key: log %+v", lines)
	}

	// Removed: b stays, one error line.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if k := src.Key(); !samePub(k, b) {
			t.Fatal("removing the file dropped the key in use")
		}
	}
	if lines := rec.take(t); len(lines) != 1 || lines[0].Level != "error" || !strings.Contains(lines[0].Message, "gone") {
		t.Fatalf("removed: log %+v", lines)
	}
}

func TestStaticKey(t *testing.T) {
	if beaconabci.StaticKey(nil).Key() != nil || beaconabci.StaticKey(&vrf.PrivateKey{}).Key() != nil {
		t.Fatal("a nil or zero static key is a key")
	}
	k := mustKey(t, 1)
	if !samePub(beaconabci.StaticKey(&k).Key(), k) {
		t.Fatal("static key lost")
	}
}
