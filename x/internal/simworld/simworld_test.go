package simworld_test

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/x/internal/simworld"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

func job(id uint64, sampled bool) tasktypes.Job {
	_, pub := simworld.OutputKey([]byte("submitter"))
	j := tasktypes.Job{Id: id, Prompt: "Once upon a time", MaxOutputTokens: 1 + id%12, OutputKey: pub[:]}
	if sampled {
		j.Sampling = tasktypes.Sampling{Seed: id * 7919, TemperatureMilli: 700}
	}
	return j
}

// TestHonestAndSubstituteResults: what the simulation's parties compute is what the chain
// accepts from an honest provider and convicts from a substitute: results of the right
// shape, openings that open the commitment (or, for a mismatching cheat, do not), traces
// that follow the sampling rule and agree between provider and verifier (or, for a
// substitute, do not), and outputs sealed deterministically to the submitter.
func TestHonestAndSubstituteResults(t *testing.T) {
	model := sha256.Sum256([]byte("model"))
	tol := verifytypes.DefaultParams().Tolerances()
	var honestOp, cheatOp string
	for i := 0; honestOp == "" || cheatOp == ""; i++ {
		op := string(rune('a'+i%26)) + string(rune('a'+i/26))
		if simworld.Cheats(op) {
			cheatOp = op
		} else {
			honestOp = op
		}
	}
	kinds := map[string]int{}
	for id := uint64(1); id <= 200; id++ {
		for _, op := range []string{honestOp, cheatOp} {
			j := job(id, id%2 == 0)
			res, err := simworld.Result(j, op, model[:])
			require.NoError(t, err)
			require.NoError(t, res.Validate())
			require.LessOrEqual(t, res.OutputTokens, j.MaxOutputTokens)
			require.LessOrEqual(t, res.PromptTokens, uint64(len(j.Prompt))+2)
			again, err := simworld.Result(j, op, model[:])
			require.NoError(t, err)
			require.Equal(t, res, again, "deterministic")

			j.Commitment, j.OutputTokens, j.PromptTokens = res.Commitment, res.OutputTokens, res.PromptTokens
			pc := simworld.ProviderCommit(j, op, model[:])
			require.True(t, verifytypes.ValidTraceLength(j, pc.Trace.Len()))
			require.NoError(t, pc.Trace.CheckShape(pc.Trace.Len(), j.Sampling.TemperatureMilli > 0, false))
			require.Equal(t, -1, verifytypes.FollowsSampling(pc.Trace, j.Sampling, tol))
			seed := []byte("round seed")
			hash, vt, salt := simworld.Verification(j, op, model[:], []byte("verifier"), seed)
			require.NoError(t, vt.CheckShape(pc.Trace.Len(), j.Sampling.TemperatureMilli > 0, true))
			require.GreaterOrEqual(t, len(salt), verifytypes.MinSaltLen)
			matches := simworld.Opening(j, op, model[:]).Matches(j, model[:])
			agrees := verifytypes.Close(pc.Trace, vt, tol, false) && bytes.Equal(hash[:], pc.Hash[:])
			switch {
			case !simworld.CheatsOn(op, id):
				require.True(t, matches && agrees, "job %d by %s: honest", id, op)
				kinds["honest"]++
			case matches:
				require.False(t, agrees, "job %d: a substitute's trace is far off", id)
				kinds["consistent substitute"]++
			default:
				kinds["mismatching substitute"]++
			}
			priv, pub := simworld.OutputKey([]byte("submitter"))
			payload, err := tasktypes.Open(res.SealedOutput, pub, priv)
			require.NoError(t, err)
			require.Equal(t, simworld.ClaimedBy(j, op).OutputTokens, payload.OutputTokens)
		}
	}
	require.Len(t, kinds, 3, "every kind of result occurs: %v", kinds)
}
