package localnet

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/stretchr/testify/require"
)

func TestDeepMerge(t *testing.T) {
	dst := map[string]any{
		"chain_id": "old",
		"app_state": map[string]any{
			"staking":  map[string]any{"params": map[string]any{"bond_denom": "stake", "max_validators": 100}},
			"provider": map[string]any{"models": []any{"x", "y"}},
			"bank":     map[string]any{"balances": []any{}},
		},
	}
	src := map[string]any{
		"chain_id": "new",
		"app_state": map[string]any{
			"staking":  map[string]any{"params": map[string]any{"bond_denom": "usovra"}},
			"provider": map[string]any{"models": []any{"z"}},
			"task":     map[any]any{"params": map[string]any{"k": 1}},
		},
	}
	got := DeepMerge(dst, src)
	app := got["app_state"].(map[string]any)
	require.Equal(t, "new", got["chain_id"])
	require.Equal(t, map[string]any{"bond_denom": "usovra", "max_validators": 100},
		app["staking"].(map[string]any)["params"], "maps merge key by key")
	require.Equal(t, []any{"z"}, app["provider"].(map[string]any)["models"], "lists replace")
	require.Equal(t, map[string]any{"balances": []any{}}, app["bank"], "untouched modules stay")
	require.Equal(t, map[string]any{"params": map[string]any{"k": 1}}, app["task"], "YAML any-keyed maps are converted")
}

func TestMergeJSONFileKeepsBigNumbers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "genesis.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"a":{"big":123456789012345678901234567890,"keep":true},"b":[1]}`), 0o644))
	require.NoError(t, mergeJSONFile(path, map[string]any{"a": map[string]any{"new": "x"}}))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(raw), "123456789012345678901234567890")
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, "x", doc["a"].(map[string]any)["new"])
	require.Equal(t, true, doc["a"].(map[string]any)["keep"])
}

const sampleTOML = `# top comment
proxy_app = "tcp://127.0.0.1:26658"
moniker = "node"

#######################################################
[rpc]

# TCP or UNIX socket address for the RPC server to listen on
laddr = "tcp://127.0.0.1:26657"
pprof_laddr = "localhost:6060"

[p2p]
laddr = "tcp://0.0.0.0:26656"
persistent_peers = ""
allow_duplicate_ip = false

[p2p.libp2p]
enabled = false

[consensus]
timeout_commit = "5s"
`

func TestPatchTOML(t *testing.T) {
	out, err := PatchTOML(sampleTOML, map[string]any{
		"proxy_app": "tcp://127.0.0.1:9",
		"new_top":   7,
		"rpc":       map[string]any{"laddr": "tcp://127.0.0.1:1", "pprof_laddr": ""},
		"p2p":       map[string]any{"allow_duplicate_ip": true, "persistent_peers": "a@b:1,c@d:2", "seeds": "s"},
		"consensus": map[string]any{"timeout_commit": "1s"},
		"api":       map[string]any{"enable": true, "address": "tcp://127.0.0.1:3"},
	})
	require.NoError(t, err)
	require.Contains(t, out, "# TCP or UNIX socket address for the RPC server", "comments survive")

	var doc map[string]any
	require.NoError(t, toml.Unmarshal([]byte(out), &doc))
	require.Equal(t, "tcp://127.0.0.1:9", doc["proxy_app"])
	require.EqualValues(t, 7, doc["new_top"])
	require.Equal(t, "node", doc["moniker"])
	rpc := doc["rpc"].(map[string]any)
	require.Equal(t, "tcp://127.0.0.1:1", rpc["laddr"])
	require.Equal(t, "", rpc["pprof_laddr"])
	p2p := doc["p2p"].(map[string]any)
	require.Equal(t, true, p2p["allow_duplicate_ip"])
	require.Equal(t, "a@b:1,c@d:2", p2p["persistent_peers"])
	require.Equal(t, "s", p2p["seeds"], "a missing key is added to its section")
	require.Equal(t, "tcp://0.0.0.0:26656", p2p["laddr"], "only [p2p] laddr would change, and it was not asked to")
	require.Equal(t, false, p2p["libp2p"].(map[string]any)["enabled"], "subsections are separate")
	require.Equal(t, "1s", doc["consensus"].(map[string]any)["timeout_commit"])
	require.Equal(t, map[string]any{"enable": true, "address": "tcp://127.0.0.1:3"}, doc["api"], "a missing section is added")
}

func TestPatchTOMLSameKeyInTwoSections(t *testing.T) {
	out, err := PatchTOML(sampleTOML, map[string]any{"p2p": map[string]any{"laddr": "tcp://127.0.0.1:2"}})
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, toml.Unmarshal([]byte(out), &doc))
	require.Equal(t, "tcp://127.0.0.1:26657", doc["rpc"].(map[string]any)["laddr"])
	require.Equal(t, "tcp://127.0.0.1:2", doc["p2p"].(map[string]any)["laddr"])
}
