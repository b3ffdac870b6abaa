package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/testutil/e2e"
)

func TestMain(m *testing.M) { e2e.Main(m) }

// beaconResponse is `q beacon latest|at` (amino JSON) and the REST equivalent.
type beaconResponse struct {
	Beacon struct {
		Height   json.Number `json:"height"`
		Output   []byte      `json:"output"`
		Proposer string      `json:"proposer"`
		Weak     bool        `json:"weak"`
	} `json:"beacon"`
}

func (b beaconResponse) height(t *testing.T) int64 {
	h, err := b.Beacon.Height.Int64()
	require.NoError(t, err)
	return h
}

func queryBeacon(t *testing.T, cli *e2e.CLI, args ...string) beaconResponse {
	t.Helper()
	var b beaconResponse
	require.NoError(t, cli.QueryJSON(&b, append([]string{"beacon"}, args...)...))
	return b
}

func TestLocalnetSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sovrad process")
	}
	net := e2e.StartNetwork(t, e2e.NetworkOptions{Validators: 1})
	e2e.WaitForHeight(t, net, 3, time.Minute)
	cli := e2e.NewCLI(t, net)
	denom := net.BondDenom()

	alice, bob := net.AccountAddress("alice"), net.AccountAddress("bob")
	require.NotEmpty(t, alice)
	require.NotEmpty(t, bob)
	addr, err := cli.Address("alice")
	require.NoError(t, err)
	require.Equal(t, alice, addr, "the client home holds alice's key")

	aliceBefore, err := cli.Balance(alice, denom)
	require.NoError(t, err)
	bobBefore, err := cli.Balance(bob, denom)
	require.NoError(t, err)
	require.Equal(t, "1000000000000", bobBefore.String(), "config.yml funds bob")

	res, err := cli.Tx("bank", "send", "alice", bob, "12345"+denom)
	require.NoError(t, err)
	require.Positive(t, int64(res.Height))

	bobAfter, err := cli.Balance(bob, denom)
	require.NoError(t, err)
	require.Equal(t, bobBefore.AddRaw(12345).String(), bobAfter.String())
	aliceAfter, err := cli.Balance(alice, denom)
	require.NoError(t, err)
	require.True(t, aliceAfter.LTE(aliceBefore.SubRaw(12345)), "alice paid %s -> %s", aliceBefore, aliceAfter)

	first := queryBeacon(t, cli, "latest")
	require.Len(t, first.Beacon.Output, 64, "beacon output is 64 bytes")
	h1 := first.height(t)
	e2e.WaitForBlocks(t, net, 2, time.Minute)
	second := queryBeacon(t, cli, "latest")
	require.Len(t, second.Beacon.Output, 64)
	require.Greater(t, second.height(t), h1)
	require.NotEqual(t, first.Beacon.Output, second.Beacon.Output, "the beacon changes between heights")

	again := queryBeacon(t, cli, "at", strconv.FormatInt(h1, 10))
	require.Equal(t, first.Beacon.Output, again.Beacon.Output, "q beacon at H returns what latest returned at H")

	// Another process (sovra-localnet status/stop) sees the network through its state file.
	attached, err := localnet.Attach(net.Home())
	require.NoError(t, err)
	require.Equal(t, net.ChainID(), attached.ChainID())
	st := attached.Status(context.Background())
	require.Len(t, st, 1)
	require.True(t, st[0].Running)
	require.NoError(t, st[0].Err)
	require.GreaterOrEqual(t, st[0].Height, second.height(t))
}

func TestFourValidators(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four sovrad processes")
	}
	net := e2e.StartNetwork(t, e2e.NetworkOptions{Validators: 4})
	e2e.WaitForHeight(t, net, 5, 2*time.Minute)
	cli := e2e.NewCLI(t, net)

	for h := int64(2); h <= 5; h++ {
		var want beaconResponse
		for i := 0; i < net.NumValidators(); i++ {
			got := queryBeacon(t, cli.WithNode(net.RPC(i)), "at", strconv.FormatInt(h, 10))
			require.Len(t, got.Beacon.Output, 64, "validator %d, height %d", i, h)
			require.Equal(t, h, got.height(t))
			if i == 0 {
				want = got
				continue
			}
			require.Equal(t, want, got, "validator %d disagrees with validator 0 on beacon(%d)", i, h)
		}
	}

	ctx := context.Background()
	// One of four equal validators down leaves 3/4 > 2/3 of the power: blocks go on.
	require.NoError(t, net.StopNode(3))
	require.False(t, net.Running(3))
	h0, err := net.Height(ctx, 0)
	require.NoError(t, err)
	e2e.WaitForHeight(t, net, h0+3, time.Minute) // waits on the running nodes only
	t.Logf("validator 3 stopped at height %d; the others reached %d", h0, h0+3)

	require.NoError(t, net.StartNode(3))
	target, err := net.Height(ctx, 0)
	require.NoError(t, err)
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	require.NoError(t, net.WaitForNodeHeight(wctx, 3, target), "validator 3 catches up")
	t.Logf("validator 3 restarted and caught up to height %d", target)
	e2e.WaitForHeight(t, net, target+2, time.Minute) // and all four keep going together

	// Every node agrees on every beacon since height 2, read over REST this time.
	top, err := net.Height(ctx, 3)
	require.NoError(t, err)
	for h := int64(2); h <= top; h++ {
		want := restBeacon(t, net.API(0), h)
		require.Len(t, want.Beacon.Output, 64, "height %d", h)
		for i := 1; i < net.NumValidators(); i++ {
			require.Equal(t, want, restBeacon(t, net.API(i), h), "validator %d, beacon(%d)", i, h)
		}
	}
	for _, s := range net.Status(ctx) {
		require.NoError(t, s.Err)
		require.True(t, s.Running, "validator %d", s.Index)
		require.GreaterOrEqual(t, s.Height, top)
	}
}

func restBeacon(t *testing.T, api string, h int64) beaconResponse {
	t.Helper()
	url := fmt.Sprintf("%s/sovra/beacon/v1/at/%d", api, h)
	var last error
	for try := 0; try < 20; try++ { // the API server may start after the RPC
		resp, err := http.Get(url)
		if err == nil {
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			var b beaconResponse
			if resp.StatusCode == http.StatusOK && json.Unmarshal(body.Bytes(), &b) == nil {
				return b
			}
			err = fmt.Errorf("%s: %s %s", url, resp.Status, body.String())
		}
		last = err
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("REST beacon: %v", last)
	return beaconResponse{}
}
