package localnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// CLI runs sovrad commands against a network. Run adds --home (always),
// --keyring-backend (keys, tx), --node (tx, query, status) and --chain-id (tx) unless
// the arguments already carry them. Its zero Timeout means DefaultTimeout.
type CLI struct {
	Binary  string
	Home    string // client home: keys and client.toml
	Node    string // CometBFT RPC URL
	ChainID string
	// Timeout bounds one command; Tx also waits this long for inclusion.
	Timeout time.Duration
	// Logf, when set, logs every command and its output (tests pass t.Logf).
	Logf func(format string, args ...any)
}

// DefaultTimeout bounds one CLI command.
const DefaultTimeout = 60 * time.Second

// Client returns a CLI on the network's client home, talking to validator 0.
func (n *Network) Client() *CLI {
	return &CLI{Binary: n.Binary(), Home: n.ClientHome(), Node: n.RPC(0), ChainID: n.ChainID()}
}

// WithNode returns a copy of the CLI that talks to another node's RPC.
func (c *CLI) WithNode(rpc string) *CLI {
	cp := *c
	cp.Node = rpc
	return &cp
}

// CmdError is a failed command with its output.
type CmdError struct {
	Args           []string
	Stdout, Stderr string
	Err            error
}

func (e *CmdError) Error() string {
	return fmt.Sprintf("sovrad %s: %v\n%s%s", strings.Join(e.Args, " "), e.Err, e.Stderr, e.Stdout)
}

func (e *CmdError) Unwrap() error { return e.Err }

// Run runs sovrad with args plus the connection flags and returns its stdout. On
// failure the error is a *CmdError holding stdout and stderr.
func (c *CLI) Run(args ...string) (string, error) {
	full := c.withFlags(args)
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Binary, full...)
	cmd.Env = append(os.Environ(), "HOME="+c.Home) // nothing may reach the user's ~/.sovra
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if c.Logf != nil {
		c.Logf("sovrad %s\n%s%s", strings.Join(full, " "), stdout.String(), stderr.String())
	}
	if err != nil {
		return stdout.String(), &CmdError{Args: full, Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
	}
	return stdout.String(), nil
}

func (c *CLI) withFlags(args []string) []string {
	group := ""
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			group = a
			break
		}
	}
	out := append([]string(nil), args...)
	add := func(flag, value string) {
		if value == "" || hasFlag(args, flag) {
			return
		}
		out = append(out, flag, value)
	}
	add("--home", c.Home)
	switch group {
	case "tx":
		add("--keyring-backend", "test")
		add("--node", c.Node)
		add("--chain-id", c.ChainID)
	case "keys":
		add("--keyring-backend", "test")
	case "q", "query", "status":
		add("--node", c.Node)
	}
	return out
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// QueryJSON runs a query with -o json and decodes its output into out. The leading
// "query" may be left out: QueryJSON(&r, "bank", "balances", addr).
func (c *CLI) QueryJSON(out any, args ...string) error {
	if len(args) == 0 || (args[0] != "q" && args[0] != "query") {
		args = append([]string{"query"}, args...)
	}
	if !hasFlag(args, "--output") && !hasFlag(args, "-o") {
		args = append(args, "--output", "json")
	}
	stdout, err := c.Run(args...)
	if err != nil {
		return err
	}
	if err := decodeJSON(stdout, out); err != nil {
		return fmt.Errorf("sovrad %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// decodeJSON decodes the JSON document in text, skipping any lines printed before it.
func decodeJSON(text string, out any) error {
	i := strings.IndexAny(text, "{[")
	if i < 0 {
		return fmt.Errorf("no JSON in output %q", text)
	}
	if err := json.NewDecoder(strings.NewReader(text[i:])).Decode(out); err != nil {
		return fmt.Errorf("decode %q: %w", text, err)
	}
	return nil
}

// Address returns a client-home key's account address (`keys show NAME -a`).
func (c *CLI) Address(name string) (string, error) {
	out, err := c.Run("keys", "show", name, "-a")
	return strings.TrimSpace(out), err
}

// Balance returns an address's balance of one denom.
func (c *CLI) Balance(addr, denom string) (math.Int, error) {
	var res struct {
		Balances []struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"balances"`
	}
	if err := c.QueryJSON(&res, "bank", "balances", addr); err != nil {
		return math.Int{}, err
	}
	for _, b := range res.Balances {
		if b.Denom == denom {
			amt, ok := math.NewIntFromString(b.Amount)
			if !ok {
				return math.Int{}, fmt.Errorf("balance %q of %s is not an integer", b.Amount, denom)
			}
			return amt, nil
		}
	}
	return math.ZeroInt(), nil
}

// Height is the latest height of the CLI's node (`sovrad status`).
func (c *CLI) Height() (int64, error) {
	out, err := c.Run("status")
	if err != nil {
		return 0, err
	}
	var st struct {
		SyncInfo struct {
			Height json.RawMessage `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := decodeJSON(out, &st); err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.Trim(string(st.SyncInfo.Height), `"`), 10, 64)
}

// TxResult is a transaction's outcome (the SDK's TxResponse, in part).
type TxResult struct {
	TxHash    string       `json:"txhash"`
	Height    jsonInt      `json:"height"`
	Code      uint32       `json:"code"`
	Codespace string       `json:"codespace"`
	RawLog    string       `json:"raw_log"`
	GasWanted jsonInt      `json:"gas_wanted"`
	GasUsed   jsonInt      `json:"gas_used"`
	Events    []abci.Event `json:"events"`
}

// JobID is the id of the job the transaction submitted (its x/task EventJobSubmitted).
func (r *TxResult) JobID() (uint64, error) {
	ids, err := tasktypes.SubmittedJobIDs(r.Events)
	if err != nil {
		return 0, fmt.Errorf("tx %s: %w", r.TxHash, err)
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("tx %s submitted %d jobs, not one", r.TxHash, len(ids))
	}
	return ids[0], nil
}

// TxFailedError is a transaction refused by CheckTx or failed in its block.
type TxFailedError struct{ Result *TxResult }

func (e *TxFailedError) Error() string {
	r := e.Result
	return fmt.Sprintf("tx %s failed: code %d (%s): %s", r.TxHash, r.Code, r.Codespace, r.RawLog)
}

// jsonInt decodes an integer sent as a JSON number or string.
type jsonInt int64

func (j *jsonInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*j = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	*j = jsonInt(v)
	return err
}

// Tx broadcasts `sovrad tx ...` with --yes --output json --gas auto --gas-adjustment
// 1.5 (each unless given), then waits until the transaction is in a block. A
// transaction refused or failed on chain returns its result and a *TxFailedError; one
// the CLI rejects before broadcasting (simulation failure included) a *CmdError.
func (c *CLI) Tx(args ...string) (*TxResult, error) {
	res, err := c.BroadcastTx(args...)
	if err != nil {
		return res, err
	}
	return c.WaitForTx(res.TxHash)
}

// BroadcastTx is Tx without waiting for the block: the result is CheckTx's.
func (c *CLI) BroadcastTx(args ...string) (*TxResult, error) {
	if len(args) == 0 || args[0] != "tx" {
		args = append([]string{"tx"}, args...)
	}
	for _, f := range [][2]string{{"--output", "json"}, {"--gas", "auto"}, {"--gas-adjustment", "1.5"}} {
		if !hasFlag(args, f[0]) {
			args = append(args, f[0], f[1])
		}
	}
	if !hasFlag(args, "--yes") && !hasFlag(args, "-y") {
		args = append(args, "--yes")
	}
	out, err := c.Run(args...)
	if err != nil {
		return nil, err
	}
	var res TxResult
	if err := decodeJSON(out, &res); err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return &res, &TxFailedError{Result: &res}
	}
	return &res, nil
}

// WaitForTx polls `query tx HASH` until the transaction is in a block.
func (c *CLI) WaitForTx(hash string) (*TxResult, error) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	quiet := *c
	quiet.Logf = nil // polls would flood the test log
	deadline := time.Now().Add(timeout)
	for {
		var res TxResult
		err := quiet.QueryJSON(&res, "query", "tx", hash)
		if err == nil && res.Height > 0 {
			if res.Code != 0 {
				return &res, &TxFailedError{Result: &res}
			}
			return &res, nil
		}
		var cmdErr *CmdError
		if err != nil && !(errors.As(err, &cmdErr) && strings.Contains(cmdErr.Stderr+cmdErr.Stdout, "not found")) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("tx %s not in a block after %s", hash, timeout)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
