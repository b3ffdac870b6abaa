package localnet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"
)

// NodeStatus is one validator's state as seen from outside.
type NodeStatus struct {
	Index      int
	Name       string
	PID        int
	Running    bool
	Height     int64
	CatchingUp bool
	Peers      int
	// Err is why the RPC could not be read (nil when it was).
	Err error
}

var httpClient = &http.Client{Timeout: 3 * time.Second}

// flexInt decodes an integer sent as a JSON number or string (CometBFT sends strings).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	v, err := strconv.ParseInt(string(b), 10, 64)
	*f = flexInt(v)
	return err
}

// rpcGet calls a CometBFT JSON-RPC method over GET and decodes its result.
func rpcGet(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s: %s: %w", url, resp.Status, err)
	}
	if env.Error != nil {
		return fmt.Errorf("%s: %s %s", url, env.Error.Message, env.Error.Data)
	}
	return json.Unmarshal(env.Result, out)
}

type cometStatus struct {
	SyncInfo struct {
		LatestBlockHeight flexInt `json:"latest_block_height"`
		CatchingUp        bool    `json:"catching_up"`
	} `json:"sync_info"`
}

// Height is validator i's latest committed height, read from its RPC.
func (n *Network) Height(ctx context.Context, i int) (int64, error) {
	var st cometStatus
	if err := rpcGet(ctx, n.RPC(i)+"/status", &st); err != nil {
		return 0, err
	}
	return int64(st.SyncInfo.LatestBlockHeight), nil
}

// Status reports every validator's process, height and peer count.
func (n *Network) Status(ctx context.Context) []NodeStatus {
	out := make([]NodeStatus, len(n.st.Validators))
	for i := range n.st.Validators {
		v := n.Validator(i)
		s := NodeStatus{Index: i, Name: v.Name, PID: v.PID, Running: n.Running(i)}
		if !s.Running {
			s.PID = 0
		}
		var st cometStatus
		if err := rpcGet(ctx, n.RPC(i)+"/status", &st); err != nil {
			s.Err = err
		} else {
			s.Height, s.CatchingUp = int64(st.SyncInfo.LatestBlockHeight), st.SyncInfo.CatchingUp
			var ni struct {
				NPeers flexInt `json:"n_peers"`
			}
			if rpcGet(ctx, n.RPC(i)+"/net_info", &ni) == nil {
				s.Peers = int(ni.NPeers)
			}
		}
		out[i] = s
	}
	return out
}

// WaitForHeight waits until every running validator has committed height h. A node
// that dies meanwhile ends the wait with an error that quotes its log.
func (n *Network) WaitForHeight(ctx context.Context, h int64) error {
	var waited bool
	for i := range n.st.Validators {
		if !n.Running(i) && n.Validator(i).PID == 0 {
			continue // stopped on purpose
		}
		waited = true
		if err := n.WaitForNodeHeight(ctx, i, h); err != nil {
			return err
		}
	}
	if !waited {
		return fmt.Errorf("localnet: no validator is running")
	}
	return nil
}

// WaitForBlocks waits until every running validator is n blocks past the highest
// height any of them has now.
func (n *Network) WaitForBlocks(ctx context.Context, blocks int64) error {
	var top int64
	for i := range n.st.Validators {
		if h, err := n.Height(ctx, i); err == nil && h > top {
			top = h
		}
	}
	return n.WaitForHeight(ctx, top+blocks)
}

// WaitForNodeHeight waits until validator i has committed height h.
func (n *Network) WaitForNodeHeight(ctx context.Context, i int, h int64) error {
	var last int64
	var lastErr error
	for {
		if !n.Running(i) {
			return fmt.Errorf("localnet: validator %d exited while waiting for height %d; log tail:\n%s",
				i, h, n.LogTail(i, 3000))
		}
		height, err := n.Height(ctx, i)
		if err == nil && height >= h {
			return nil
		}
		if err == nil {
			last = height
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("localnet: validator %d at height %d, waiting for %d: %w (last RPC error: %w); log tail:\n%s",
				i, last, h, ctx.Err(), lastErr, n.LogTail(i, 3000))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// LogTail returns the last n bytes of validator i's log.
func (n *Network) LogTail(i, size int) string {
	raw, err := os.ReadFile(n.NodeLog(i))
	if err != nil {
		return err.Error()
	}
	return tail(string(raw), size)
}
