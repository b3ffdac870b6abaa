package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown kind", []string{"--node", "http://127.0.0.1:1", "--kind", "stake"}, `kind "stake"`},
		{"funder without home", []string{"--node", "http://127.0.0.1:1", "--funder", "alice"}, "keyring dir"},
		{"zero count", []string{"--node", "http://127.0.0.1:1", "-n", "0"}, "count must be positive"},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
		{"unknown flag", []string{"--bogus"}, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(tc.args, &out, &errb)
			require.Error(t, err)
			require.Contains(t, err.Error()+errb.String(), tc.want)
			require.Empty(t, out.String(), "nothing on stdout on failure")
		})
	}
}

func TestHelpSucceeds(t *testing.T) {
	var out, errb bytes.Buffer
	require.NoError(t, run([]string{"-h"}, &out, &errb))
	require.Contains(t, errb.String(), "-kind string")
}
