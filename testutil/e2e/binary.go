// Package e2e helps tests drive a real Sovra network through the sovrad CLI: it builds
// (or finds) the binary, starts a localnet in a temporary home and wraps the CLI with
// the flags every command needs.
//
// A test package using it should call e2e.Main from TestMain so that the binary built
// for the run is removed afterwards:
//
//	func TestMain(m *testing.M) { e2e.Main(m) }
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// BinaryEnv names a prebuilt sovrad to use instead of building one.
const BinaryEnv = "SOVRAD_BIN"

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

// SovradBinary returns $SOVRAD_BIN when set, or else builds ./cmd/sovrad once per test
// process into a temporary directory (removed by Main).
func SovradBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(BinaryEnv); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatalf("%s=%s: %v", BinaryEnv, p, err)
		}
		if st, err := os.Stat(abs); err != nil || st.IsDir() {
			t.Fatalf("%s=%s: not a file", BinaryEnv, p)
		}
		return abs
	}
	buildOnce.Do(func() {
		var root string
		if root, buildErr = RepoRoot(); buildErr != nil {
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "sovra-e2e-bin-"); buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "sovrad")
		cmd := exec.Command("go", "build", "-buildvcs=false", "-o", buildPath, "./cmd/sovrad")
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/sovrad: %w\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		t.Fatalf("sovrad binary: %v", buildErr)
	}
	return buildPath
}

// RepoRoot is the directory of the main module's go.mod (from `go env GOMOD`).
func RepoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// Main runs the tests and removes the binary SovradBinary built.
func Main(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
