// Package llamaenv finds what the llama.cpp tests need on this machine: the libraries
// installed by scripts/llama-libs.sh and the llama-server built by
// scripts/build-llama-server.sh (and the openai npm client of scripts/openai-client.sh). A test skips when they are missing, unless the matching
// SOVRA_REQUIRE_* variable is set (make test sets them), then it fails.
package llamaenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// LibDir is SOVRA_LLAMA_LIB, else <repo>/.llama/lib/x64, as an absolute path.
func LibDir(t testing.TB) string {
	t.Helper()
	return locate(t, artifact{
		env: "SOVRA_LLAMA_LIB", rel: []string{".llama", "lib", "x64"}, probe: "libllama.so",
		require: "SOVRA_REQUIRE_LLAMA", what: "llama.cpp libraries", make: "make llama-libs",
	})
}

// ServerBinary is SOVRA_LLAMA_SERVER, else <repo>/.llama/server/bin/llama-server, as an
// absolute path.
func ServerBinary(t testing.TB) string {
	t.Helper()
	return locate(t, artifact{
		env: "SOVRA_LLAMA_SERVER", rel: []string{".llama", "server", "bin", "llama-server"},
		require: "SOVRA_REQUIRE_LLAMA_SERVER", what: "llama-server", make: "make llama-server",
	})
}

// OpenAIModules is SOVRA_OPENAI_MODULES, else <repo>/.cache/openai-client/node_modules:
// the official openai npm client that the gateway's end-to-end tests drive.
func OpenAIModules(t testing.TB) string {
	t.Helper()
	return locate(t, artifact{
		env: "SOVRA_OPENAI_MODULES", rel: []string{".cache", "openai-client", "node_modules"}, probe: "openai/package.json",
		require: "SOVRA_REQUIRE_OPENAI_CLIENT", what: "openai npm client", make: "make openai-client",
	})
}

type artifact struct {
	env     string   // variable that overrides the default path
	rel     []string // default path below the repository root
	probe   string   // file that must exist below the path ("" for the path itself)
	require string   // variable that turns a skip into a failure
	what    string
	make    string // the target that installs it
}

func locate(t testing.TB, a artifact) string {
	t.Helper()
	path := os.Getenv(a.env)
	if path == "" {
		_, file, _, _ := runtime.Caller(0)
		path = filepath.Join(append([]string{filepath.Dir(file), "..", ".."}, a.rel...)...)
	}
	if _, err := os.Stat(filepath.Join(path, a.probe)); err != nil {
		if os.Getenv(a.require) != "" {
			t.Fatalf("%s is set but the %s are missing at %s: %v", a.require, a.what, path, err)
		}
		t.Skipf("%s not found at %s: run `%s` (set %s=1 to fail instead)", a.what, path, a.make, a.require)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
