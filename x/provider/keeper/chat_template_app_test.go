package keeper_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/testutil/appfixture"
	"github.com/sovra-network/sovra/x/provider/types"
)

// TestChatTemplateThroughGovernanceAndGenesis, through real blocks: a genesis model's
// chat template is in state; a proposal to register a model with an unknown chat template
// is refused at submission (gov runs the message's ValidateBasic) and changes nothing; one
// with a known name passes the vote and stores it; a genesis export imported into a fresh
// app exports the same, chat templates included.
func TestChatTemplateThroughGovernanceAndGenesis(t *testing.T) {
	f := appfixture.New(t, appfixture.Options{
		Genesis: func(g appfixture.GenesisEditor) {
			cdc := g.App.AppCodec()
			var pg types.GenesisState
			cdc.MustUnmarshalJSON(g.State[types.ModuleName], &pg)
			pg.Models = append(pg.Models,
				types.Model{Id: "demo-tiny", Sha256: strings.Repeat("ab", 32), ContextLength: 512, Tokenizer: "llama-spm", ChatTemplate: "chatml"},
				types.Model{Id: "raw-only", Sha256: strings.Repeat("cd", 32), ContextLength: 512},
			)
			g.State[types.ModuleName] = cdc.MustMarshalJSON(&pg)
			var gg govv1.GenesisState
			cdc.MustUnmarshalJSON(g.State[govtypes.ModuleName], &gg)
			voting, expedited := 5*time.Second, 3*time.Second
			gg.Params.VotingPeriod, gg.Params.ExpeditedVotingPeriod = &voting, &expedited
			g.State[govtypes.ModuleName] = cdc.MustMarshalJSON(&gg)
		},
	})
	f.CheckEveryBlock()
	k := f.App.ProviderKeeper
	m, err := k.GetModel(f.Ctx(), "demo-tiny")
	require.NoError(t, err)
	require.Equal(t, "chatml", m.ChatTemplate)

	op := f.Operator
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	propose := func(model types.Model) (*govv1.MsgSubmitProposal, error) {
		return govv1.NewMsgSubmitProposal([]sdk.Msg{&types.MsgRegisterModel{Authority: gov, Model: model}},
			sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 10_000_000)), op.Address.String(), "", "register "+model.Id, "a model", false)
	}
	qwen := types.Model{Id: "qwen2.5-0.5b-q8_0", Sha256: strings.Repeat("ef", 32), ContextLength: 4096, Tokenizer: "gpt2", ChatTemplate: "ChatML"}

	bad, err := propose(qwen)
	require.NoError(t, err)
	res := f.Deliver(op, bad)
	require.NotZero(t, res.Code, "a proposal with an unknown chat template was accepted")
	require.Contains(t, res.Log, `chat_template: unknown chat template "ChatML"`)
	_, err = f.App.GovKeeper.Proposals.Get(f.Ctx(), 1)
	require.Error(t, err, "the refused proposal is stored")

	qwen.ChatTemplate = "chatml"
	good, err := propose(qwen)
	require.NoError(t, err)
	res = f.MustDeliver(op, good)
	var id uint64
	for _, ev := range res.Events {
		for _, a := range ev.Attributes {
			if ev.Type == govtypes.EventTypeSubmitProposal && a.Key == govtypes.AttributeKeyProposalID {
				_, err := fmt.Sscan(a.Value, &id)
				require.NoError(t, err)
			}
		}
	}
	require.NotZero(t, id, "no proposal id in the submission's events")
	f.MustDeliver(op, govv1.NewMsgVote(op.Address, id, govv1.OptionYes, ""))
	for range 50 {
		if p, err := f.App.GovKeeper.Proposals.Get(f.Ctx(), id); err == nil && p.Status != govv1.StatusVotingPeriod {
			break
		}
		f.NextBlock()
	}
	p, err := f.App.GovKeeper.Proposals.Get(f.Ctx(), id)
	require.NoError(t, err)
	require.Equal(t, govv1.StatusPassed, p.Status, p.FailedReason)
	got, err := k.GetModel(f.Ctx(), qwen.Id)
	require.NoError(t, err)
	require.Equal(t, qwen, got)

	require.NoError(t, f.GenesisRoundTrip())
	exported, err := f.App.ExportAppStateAndValidators(false, nil, nil)
	require.NoError(t, err)
	var state map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(exported.AppState, &state))
	var pg types.GenesisState
	f.App.AppCodec().MustUnmarshalJSON(state[types.ModuleName], &pg)
	templates := map[string]string{}
	for _, m := range pg.Models {
		templates[m.Id] = m.ChatTemplate
	}
	require.Equal(t, map[string]string{"demo-tiny": "chatml", "raw-only": "", qwen.Id: "chatml"}, templates)
}
