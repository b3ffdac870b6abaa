package chain

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseBlockEvent(t *testing.T) {
	block := `{"jsonrpc":"2.0","id":1,"result":{"query":"tm.event='NewBlock'","data":{"type":"tendermint/event/NewBlock",
	"value":{"block":{"header":{"height":"42"}},"result_finalize_block":{"events":[
	{"type":"sovra.task.v1.EventJobAssigned","attributes":[{"key":"job_id","value":"\"7\"","index":true},{"key":"provider","value":"\"sovra1p\""},{"key":"mode","value":"BeginBlock"}]},
	{"type":"sovra.task.v1.EventJobAssigned","attributes":[{"key":"job_id","value":"\"8\""},{"key":"provider","value":"\"sovra1q\""}]},
	{"type":"sovra.task.v1.EventJobSettled","attributes":[{"key":"job_id","value":"\"5\""},{"key":"provider","value":"\"sovra1p\""}]},
	{"type":"job_assigned","attributes":[{"key":"job_id","value":"9"},{"key":"provider","value":"sovra1p"}]}]}}}}}`
	b, ok, err := parseBlockEvent([]byte(block))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, int64(42), b.Height)
	require.Equal(t, map[uint64]string{7: "sovra1p", 8: "sovra1q"}, b.Assigned, "settlements and untyped events are ignored")
	require.True(t, b.AssignedTo("sovra1p"))
	require.False(t, b.AssignedTo("sovra1z"))

	// The subscription's acknowledgement is not a block.
	_, ok, err = parseBlockEvent([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	require.NoError(t, err)
	require.False(t, ok)

	// The node cancelling the subscription ends following.
	_, _, err = parseBlockEvent([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"Server error","data":"subscription was canceled (reason: CometBFT exited)"}}`))
	require.True(t, errors.Is(err, ErrFollowClosed), "%v", err)

	for name, raw := range map[string]string{
		"not json":       `<html>`,
		"no height":      `{"result":{"data":{"type":"x","value":{"block":{"header":{}}}}}}`,
		"zero height":    `{"result":{"data":{"type":"x","value":{"block":{"header":{"height":"0"}}}}}}`,
		"numeric height": `{"result":{"data":{"type":"x","value":{"block":{"header":{"height":12}}}}}}`,
		"bad job id": `{"result":{"data":{"value":{"block":{"header":{"height":"3"}},"result_finalize_block":{"events":[
		{"type":"sovra.task.v1.EventJobAssigned","attributes":[{"key":"job_id","value":"\"x\""}]}]}}}}}`,
	} {
		_, _, err := parseBlockEvent([]byte(raw))
		require.Error(t, err, name)
	}
}

func TestWebsocketURL(t *testing.T) {
	for in, want := range map[string]string{
		"tcp://127.0.0.1:26657":     "ws://127.0.0.1:26657/websocket",
		"http://node.example:26657": "ws://node.example:26657/websocket",
		"https://node.example:443":  "wss://node.example:443/websocket",
	} {
		got, err := websocketURL(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := websocketURL("127.0.0.1:26657")
	require.Error(t, err)
}

func TestParseBlockEventReadsTxEvents(t *testing.T) {
	raw := `{"result":{"data":{"value":{"block":{"header":{"height":"9"}},"result_finalize_block":{
	"events":[{"type":"sovra.verify.v1.EventAuditVerifier","attributes":[{"key":"job_id","value":"\"3\""},{"key":"verifier","value":"\"sovra1v\""},{"key":"mode","value":"EndBlock"}]},
	{"type":"sovra.verify.v1.EventAuditCommitOpen","attributes":[{"key":"job_id","value":"\"3\""},{"key":"provider","value":"\"sovra1c\""}]}],
	"tx_results":[{"events":[{"type":"sovra.verify.v1.EventAuditRevealOpen","attributes":[{"key":"job_id","value":"\"3\""},{"key":"provider","value":"\"sovra1p\""},{"key":"msg_index","value":"0"}]}]}]}}}}}`
	b, ok, err := parseBlockEvent([]byte(raw))
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, b.Concerns("sovra1v"), "a drawn verifier (block event)")
	require.True(t, b.Concerns("sovra1p"), "the audited provider (event of a transaction)")
	require.False(t, b.Concerns("sovra1c"), "the commit phase calls on the verifiers, not the provider")
	require.False(t, b.Concerns("sovra1x"))
}
