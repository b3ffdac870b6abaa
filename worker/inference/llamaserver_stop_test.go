package inference

import (
	"context"
	"testing"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// TestLlamaServerStopToken: the end-of-generation token llama-server stops on (the last of
// its tokens) is the result's StopToken; a generation that ran to MaxTokens has none.
func TestLlamaServerStopToken(t *testing.T) {
	f, _, b := openFake(t)
	res, err := b.Generate(context.Background(), Request{Prompt: "hi", MaxTokens: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopEOS || res.StopToken != 2 || res.Trace.Len() != 0 {
		t.Fatalf("eos: stop %s, stop token %d, trace of %d positions", res.Stop, res.StopToken, res.Trace.Len())
	}
	f.mu.Lock()
	f.fault = "too many tokens" // five tokens at the limit
	f.mu.Unlock()
	res, err = b.Generate(context.Background(), Request{Prompt: "hi", MaxTokens: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopMaxTokens || res.StopToken != tasktypes.NoStopToken {
		t.Fatalf("limit: stop %s, stop token %d", res.Stop, res.StopToken)
	}
}
