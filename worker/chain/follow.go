package chain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/gorilla/websocket"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Block is what the worker needs of a new block: its height, the jobs it assigned, and
// the providers its audit events name (as audited provider or drawn verifier).
type Block struct {
	Height int64
	// Assigned maps each job assigned in this block to its provider.
	Assigned map[uint64]string
	// AuditParties holds every address an audit event of the block names.
	AuditParties map[string]bool
}

// AssignedTo reports whether the block assigned a job to provider.
func (b Block) AssignedTo(provider string) bool {
	for _, p := range b.Assigned {
		if p == provider {
			return true
		}
	}
	return false
}

// Concerns reports whether the block gives provider work: a job, or an audit it is party to.
func (b Block) Concerns(provider string) bool {
	return b.AssignedTo(provider) || b.AuditParties[provider]
}

// ErrFollowClosed: the node closed the subscription (it is stopping or restarting).
var ErrFollowClosed = errors.New("websocket subscription closed")

// Follow subscribes to NewBlock events over the node's CometBFT websocket and calls
// onBlock for each block until ctx ends or the connection fails; it always returns a
// non-nil error saying why it stopped. idle bounds the wait for the next block: a
// connection that stays silent that long counts as lost.
func (c *Client) Follow(ctx context.Context, idle time.Duration, onBlock func(Block)) error {
	u, err := websocketURL(c.rpcAddr)
	if err != nil {
		return err
	}
	dialer := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, _, err := dialer.DialContext(ctx, u, nil)
	if err != nil {
		return fmt.Errorf("websocket %s: %w", u, err)
	}
	defer conn.Close()
	// Closing the connection is how a blocked read learns that ctx ended.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	sub := map[string]any{
		"jsonrpc": "2.0", "id": 1, "method": "subscribe",
		"params": map[string]string{"query": "tm.event='NewBlock'"},
	}
	if err := conn.WriteJSON(sub); err != nil {
		return fmt.Errorf("websocket subscribe: %w", err)
	}
	conn.SetReadLimit(64 << 20) // blocks carry their transactions
	for {
		_ = conn.SetReadDeadline(time.Now().Add(idle))
		_, raw, err := conn.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("websocket read: %w", err)
		}
		b, ok, err := parseBlockEvent(raw)
		if err != nil {
			return err
		}
		if ok {
			onBlock(b)
		}
	}
}

// websocketURL turns tcp://host:port (or http[s]://) into the node's websocket URL.
func websocketURL(rpcAddr string) (string, error) {
	u, err := url.Parse(rpcAddr)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("rpc address %q must look like tcp://host:port", rpcAddr)
	}
	scheme := "ws"
	if u.Scheme == "https" {
		scheme = "wss"
	}
	return scheme + "://" + u.Host + "/websocket", nil
}

// rpcEvent is the part of a CometBFT JSON-RPC subscription message that is read.
type rpcEvent struct {
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error"`
	Result *struct {
		Data *struct {
			Type  string `json:"type"`
			Value struct {
				Block struct {
					Header struct {
						Height string `json:"height"`
					} `json:"header"`
				} `json:"block"`
				ResultFinalizeBlock struct {
					Events    []abci.Event `json:"events"`
					TxResults []struct {
						Events []abci.Event `json:"events"`
					} `json:"tx_results"`
				} `json:"result_finalize_block"`
			} `json:"value"`
		} `json:"data"`
	} `json:"result"`
}

// parseBlockEvent reads one websocket message; ok is false for messages that are not a
// block (the subscription's acknowledgement).
func parseBlockEvent(raw []byte) (Block, bool, error) {
	var ev rpcEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return Block{}, false, fmt.Errorf("websocket message is not JSON-RPC: %w", err)
	}
	if ev.Error != nil {
		if ev.Error.Message == "" && ev.Error.Data == "" {
			return Block{}, false, ErrFollowClosed
		}
		return Block{}, false, fmt.Errorf("%w: %s %s", ErrFollowClosed, ev.Error.Message, ev.Error.Data)
	}
	if ev.Result == nil || ev.Result.Data == nil {
		return Block{}, false, nil
	}
	v := ev.Result.Data.Value
	h, err := strconv.ParseInt(v.Block.Header.Height, 10, 64)
	if err != nil || h <= 0 {
		return Block{}, false, fmt.Errorf("block event with bad height %q", v.Block.Header.Height)
	}
	b := Block{Height: h, Assigned: map[uint64]string{}, AuditParties: map[string]bool{}}
	// Block events (assignments, phase deadlines) and the events of its transactions (a
	// commit that completes a phase opens the next one inside that transaction).
	events := v.ResultFinalizeBlock.Events
	for _, tx := range v.ResultFinalizeBlock.TxResults {
		events = append(events, tx.Events...)
	}
	taskEvents, err := tasktypes.ParseEvents(events)
	if err != nil {
		return Block{}, false, fmt.Errorf("block %d: %w", h, err)
	}
	for _, e := range taskEvents {
		if a, ok := e.(*tasktypes.EventJobAssigned); ok && a.JobId > 0 && a.Provider != "" {
			b.Assigned[a.JobId] = a.Provider
		}
	}
	parties, err := verifytypes.AuditParties(events)
	if err != nil {
		return Block{}, false, fmt.Errorf("block %d: %w", h, err)
	}
	for _, p := range parties {
		b.AuditParties[p] = true
	}
	return b, true, nil
}
