package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/internal/loadgen"
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

func TestPrintComparisonPerRound(t *testing.T) {
	send := func(n int, s float64) loadgen.Result {
		return loadgen.Result{Kind: loadgen.KindSend, Committed: n, Seconds: s}
	}
	job := func(settled int, s float64, audited int) loadgen.Result {
		return loadgen.Result{
			Kind: loadgen.KindJob, Committed: settled + audited, Seconds: s / 2,
			Jobs: &loadgen.JobStats{Settled: settled, Seconds: s, Audited: audited, LatencyBlocksP50: 6},
		}
	}
	var out bytes.Buffer
	printComparison(&out, map[loadgen.Kind][]loadgen.Result{
		loadgen.KindSend:      {send(1000, 1), send(1000, 2)},
		loadgen.KindSubmitJob: {{Kind: loadgen.KindSubmitJob, Committed: 900, Seconds: 1}, {Kind: loadgen.KindSubmitJob, Committed: 900, Seconds: 2}},
		loadgen.KindJob:       {job(700, 1, 1), job(600, 2, 0)},
	})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2)
	// MsgSend: 2000 txs in 3 s; submit-job 1800 in 3 s; jobs settled 1300 in 3 s.
	require.Equal(t, "MsgSend: 667 tx/s, MsgSubmitJob: 600 tx/s, ratio MsgSubmitJob/MsgSend = 0.90 (target >= 0.8); rounds: 0.90, 0.90", lines[0])
	require.Equal(t, "MsgSend: 667 tx/s, jobs settled: 433/s, ratio jobs settled/MsgSend = 0.65 (target >= 0.7); rounds: 0.70, 0.60; 1 audited (not settled in the run); submission to settlement p50: 6, 6 blocks", lines[1])

	out.Reset()
	printComparison(&out, map[loadgen.Kind][]loadgen.Result{loadgen.KindJob: {job(1, 1, 0)}})
	require.Empty(t, out.String(), "nothing to compare without MsgSend")
}
