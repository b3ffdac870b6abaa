package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRemoveNetworkHomeRefusesForeignDirs(t *testing.T) {
	foreign := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(foreign, "precious.txt"), []byte("x"), 0o644))
	require.ErrorContains(t, removeNetworkHome(foreign), "does not look like a localnet home")
	require.FileExists(t, filepath.Join(foreign, "precious.txt"))

	require.NoError(t, removeNetworkHome(filepath.Join(t.TempDir(), "absent")))

	partial := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(partial, "validator0", "config"), 0o755))
	require.NoError(t, removeNetworkHome(partial))
	require.NoDirExists(t, partial)
}

func TestRunUsageAndErrors(t *testing.T) {
	var out, errb bytes.Buffer
	require.NoError(t, run(nil, &out, &errb))
	require.Contains(t, out.String(), "usage: sovra-localnet")

	require.ErrorContains(t, run([]string{"frobnicate"}, &out, &errb), `unknown command "frobnicate"`)
	require.ErrorContains(t, run([]string{"status", "extra"}, &out, &errb), "unexpected arguments")
	require.ErrorContains(t, run([]string{"status", "--home", t.TempDir()}, &out, &errb), "no local network")
	require.ErrorContains(t, run([]string{"stop", "--home", t.TempDir()}, &out, &errb), "no local network")
	require.ErrorContains(t, run([]string{"add-node", "--home", t.TempDir()}, &out, &errb), "no local network")
	require.ErrorContains(t, run([]string{"start", "--home", t.TempDir(), "--config", "/nonexistent.yml"}, &out, &errb), "nonexistent.yml")
}
