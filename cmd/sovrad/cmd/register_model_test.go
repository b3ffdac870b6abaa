package cmd

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/client/flags"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/sovra-network/sovra/app/params"
)

// TestRegisterModelProposal: `sovrad tx provider register-model` (autocli, GovProposal)
// wraps MsgRegisterModel, chat_template included, in a governance proposal whose authority
// is the gov module. (The command does not validate the model; the chain does, when gov
// runs the message's ValidateBasic at submission.)
func TestRegisterModelProposal(t *testing.T) {
	params.SetAddressPrefixes()
	from := authtypes.NewModuleAddress("someone").String()
	model := `{"id":"qwen2.5-0.5b-q8_0","sha256":"` + strings.Repeat("ab", 32) + `","context_length":"4096","tokenizer":"gpt2","chat_template":"chatml"}`
	run := func(model string) (string, error) {
		root := NewRootCmd()
		root.PersistentFlags().String(flags.FlagHome, "", "") // svrcmd.Execute adds it in sovrad
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs([]string{
			"tx", "provider", "register-model", model,
			"--title", "Register qwen", "--summary", "Q8_0 GGUF", "--deposit", "10000000usovra",
			"--from", from, "--generate-only", "--chain-id", "sovra-test", "--home", t.TempDir(),
		})
		err := root.Execute()
		return out.String(), err
	}
	out, err := run(model)
	if err != nil {
		t.Fatalf("register-model: %v\n%s", err, out)
	}
	var tx struct {
		Body struct {
			Messages []struct {
				Type     string            `json:"@type"`
				Messages []json.RawMessage `json:"messages"`
			} `json:"messages"`
		} `json:"body"`
	}
	if err := json.Unmarshal([]byte(out), &tx); err != nil {
		t.Fatalf("not a tx: %v\n%s", err, out)
	}
	if len(tx.Body.Messages) != 1 || tx.Body.Messages[0].Type != "/cosmos.gov.v1.MsgSubmitProposal" || len(tx.Body.Messages[0].Messages) != 1 {
		t.Fatalf("want one MsgSubmitProposal with one message: %s", out)
	}
	var msg struct {
		Type      string `json:"@type"`
		Authority string `json:"authority"`
		Model     struct {
			ID           string `json:"id"`
			ChatTemplate string `json:"chat_template"`
		} `json:"model"`
	}
	if err := json.Unmarshal(tx.Body.Messages[0].Messages[0], &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Type != "/sovra.provider.v1.MsgRegisterModel" || msg.Authority != authtypes.NewModuleAddress("gov").String() ||
		msg.Model.ID != "qwen2.5-0.5b-q8_0" || msg.Model.ChatTemplate != "chatml" {
		t.Fatalf("proposal message: %+v", msg)
	}
}
