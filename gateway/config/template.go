package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// InitValues are what `sovra-gateway init` writes; empty fields keep the defaults.
type InitValues struct {
	ChainID, GRPC, RPC, Key, KeyringBackend, KeyringDir, Listen, MaxFee, Budget string
}

// Render returns a commented gateway.toml.
func (iv InitValues) Render() string {
	q := strconv.Quote
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# sovra-gateway: an OpenAI API on this machine that buys verified inference on Sovra
# with your key. Every key can also be set as SOVRA_GATEWAY_<KEY> or --<key-with-dashes>.

chain_id = %s
grpc_address = %s
rpc_address = %s

# The key that pays for the jobs, in your keyring (e.g. the sovrad home); it never leaves
# this machine, and the outputs are sealed to it.
key = %s
keyring_backend = %s
keyring_dir = %s

# The API's address. Loopback unless api_token is set; clients send it as a bearer token.
listen = %s
api_token = ""

# Money: the most one request may escrow (a request escrows only what it can cost: max
# tokens plus the prompt bound at the price it bids), the most one UTC day may cost
# ("" = no daily cap), and the highest price per token to bid ("" = the dearest provider's).
max_fee = %s
budget = %s
max_price_per_token = ""

# Output tokens of a request that names no max_tokens (at most the chain's limit).
default_max_tokens = 256
# Job deadline in blocks after assignment (0 = the chain's default).
deadline_blocks = 0

gas_prices = ""
gas_adjustment = 1.5
data_dir = "data"
poll_interval = "100ms"
stream_connect_timeout = "5s"
`, q(iv.ChainID), q(or(iv.GRPC, "127.0.0.1:9090")), q(or(iv.RPC, "tcp://127.0.0.1:26657")), q(iv.Key),
		q(or(iv.KeyringBackend, "test")), q(iv.KeyringDir), q(or(iv.Listen, "127.0.0.1:8780")),
		q(or(iv.MaxFee, "1000000usovra")), q(iv.Budget))
	return b.String()
}

// WriteFile writes <home>/gateway.toml; it never overwrites one.
func (iv InitValues) WriteFile(home string) (string, error) {
	path := filepath.Join(home, FileName)
	if err := os.MkdirAll(home, 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if os.IsExist(err) {
			return "", fmt.Errorf("%s already exists; edit it or remove it first", path)
		}
		return "", err
	}
	if _, err := f.WriteString(iv.Render()); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}
