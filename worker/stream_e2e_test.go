package worker_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/worker"
	"github.com/sovra-network/sovra/worker/chain"
	"github.com/sovra-network/sovra/worker/stream"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// tamperPrompt marks the jobs whose stream TestWorkerStreamsRealInference's worker tampers.
const tamperPrompt = "tamper: "

// streamedJob is what one subscriber received of a job's stream.
type streamedJob struct {
	tokens []uint32
	text   []byte
	end    stream.Event
	err    error
}

// subscribeJob subscribes in the background and returns what it received once the stream
// is over (an error when it could not subscribe).
func subscribeJob(ctx context.Context, endpoint string, id uint64, pub, priv *[32]byte) <-chan streamedJob {
	out := make(chan streamedJob, 1)
	go func() {
		var s streamedJob
		defer func() { out <- s }()
		ch, err := stream.Subscribe(ctx, endpoint, id, pub, priv)
		if err != nil {
			s.err = err
			return
		}
		for ev := range ch {
			switch {
			case ev.Err != nil:
				s.err = ev.Err
			case ev.Reset:
				s.tokens, s.text = nil, nil
			case ev.End:
				s.end = ev
			default:
				s.tokens, s.text = append(s.tokens, ev.Tokens...), append(s.text, ev.Text...)
			}
		}
	}()
	return out
}

// outputKeyOf derives a key's output key as sovrad's CLI does.
func outputKeyOf(t *testing.T, clientHome, name string) (pub, priv *[32]byte) {
	t.Helper()
	kr, err := chain.OpenKeyring("test", clientHome)
	require.NoError(t, err)
	sig, _, err := kr.Sign(name, []byte(tasktypes.OutputKeyDomain), signing.SignMode_SIGN_MODE_DIRECT)
	require.NoError(t, err)
	priv, pub, err = tasktypes.DeriveOutputKey(sig)
	require.NoError(t, err)
	return pub, priv
}

// TestWorkerStreamsRealInference: a localnet, provider1 with a worker running llama.cpp on
// the demo model and streaming on a loopback port registered as the provider's endpoint.
// For a job submitted with the CLI, a subscriber that knows the submitter's output key
// (connected right after the submission, through the endpoint read from the chain)
// decrypts exactly the tokens and text the worker commits, which the submitter's key
// opens on chain with x/task/types.Open; a subscriber with another key reads nothing; a
// late subscriber gets the whole stream again; and the test-only tamper hook streams a
// token the commitment does not have.
func TestWorkerStreamsRealInference(t *testing.T) {
	if testing.Short() {
		t.Skip("starts sovrad processes")
	}
	libDir := llamaLibDir(t)
	net, cli, prov, _, modelPath := providerNetwork(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cfg := workerHome(t, net.ChainID(), net.GRPC(0), net.RPC(0), prov, net.ClientHome(), libDir, map[string]string{"demo-tiny": modelPath})
	cfg.PollInterval = 200 * time.Millisecond
	cfg.StreamListen = "127.0.0.1:0"
	tamper := func(job tasktypes.Job, index int, id uint32, piece []byte) (uint32, []byte) {
		if index == 0 && strings.HasPrefix(job.Prompt, tamperPrompt) {
			return id ^ 1, append([]byte("!"), piece...)
		}
		return id, piece
	}
	w, err := worker.New(ctx, cfg, worker.Options{Logf: t.Logf, StreamTamperForTests: tamper})
	require.NoError(t, err)
	require.NotEmpty(t, w.StreamAddr())
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	defer func() {
		stopRun()
		require.NoError(t, <-done)
		require.NoError(t, w.Close())
	}()

	// The operator registers the stream's URL as the provider's endpoint; clients read it there.
	_, err = cli.Tx("provider", "update", "--endpoint", "http://"+w.StreamAddr(), "--from", "provider1")
	require.NoError(t, err)
	client, err := chain.Dial(cfg.ChainID, cfg.GRPCAddress, cfg.RPCAddress)
	require.NoError(t, err)
	defer client.Close()
	p, err := client.Provider(ctx, prov)
	require.NoError(t, err)
	endpoint := p.Endpoint
	require.Equal(t, "http://"+w.StreamAddr(), endpoint)

	alicePub, alicePriv := outputKeyOf(t, net.ClientHome(), "alice")
	bobPub, bobPriv := outputKeyOf(t, net.ClientHome(), "bob")
	submit := func(prompt string) uint64 {
		res, err := cli.Tx("task", "submit", "demo-tiny", prompt, "--max-tokens", "24",
			"--max-fee", "100000usovra", "--from", "alice", "--gas", "300000")
		require.NoError(t, err)
		id, err := res.JobID()
		require.NoError(t, err)
		return id
	}
	// committed is the job's output as settled on chain, opened with alice's key.
	committed := func(id uint64) tasktypes.SealedPayload {
		job := waitJob(t, ctx, client, id, tasktypes.JOB_STATUS_SETTLED, 90*time.Second)
		out, err := tasktypes.Open(job.SealedOutput, alicePub, alicePriv)
		require.NoError(t, err)
		require.Equal(t, uint64(len(out.OutputTokens)), job.OutputTokens)
		return out
	}

	id := submit("Once upon a time")
	honest := subscribeJob(ctx, endpoint, id, alicePub, alicePriv)
	stranger := subscribeJob(ctx, endpoint, id, bobPub, bobPriv)
	out := committed(id)
	got := <-honest
	require.NoError(t, got.err)
	require.NotEmpty(t, out.OutputTokens)
	require.Equal(t, out.OutputTokens, got.tokens, "the streamed tokens are the committed ones")
	require.Equal(t, out.Text, got.text, "the streamed bytes are the committed text")
	require.True(t, got.end.End)
	require.Equal(t, len(out.OutputTokens), got.end.Total)
	t.Logf("job %d: %d tokens streamed and committed (%s): %q", id, got.end.Total, got.end.Stop, got.text)
	bad := <-stranger
	require.ErrorIs(t, bad.err, stream.ErrUnreadable, "another key cannot read the chunks")
	require.Empty(t, bad.tokens)

	late := <-subscribeJob(ctx, endpoint, id, alicePub, alicePriv)
	require.NoError(t, late.err)
	require.Equal(t, out.OutputTokens, late.tokens, "a late subscriber gets the stream from token 0")

	tid := submit(tamperPrompt + "Once upon a time")
	tampered := subscribeJob(ctx, endpoint, tid, alicePub, alicePriv)
	tout := committed(tid)
	tgot := <-tampered
	require.NoError(t, tgot.err)
	require.Len(t, tgot.tokens, len(tout.OutputTokens))
	require.NotEqual(t, tout.OutputTokens, tgot.tokens, "the tamper hook streams another token")
	require.Equal(t, tout.OutputTokens[1:], tgot.tokens[1:], "only the first")
	require.Equal(t, "!"+string(tout.Text), string(tgot.text))

	// The metrics count the streams served.
	mfs, err := w.Metrics().Registry.Gather()
	require.NoError(t, err)
	served := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "sovra_worker_stream_served_total" {
			served = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	require.Equal(t, 4.0, served, "four subscriptions answered with a stream (the stranger's too)")
	t.Logf("jobs %s and %s streamed", strconv.FormatUint(id, 10), strconv.FormatUint(tid, 10))
}
