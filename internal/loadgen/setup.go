package loadgen

import (
	"context"
	"fmt"
	"math"
	"time"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/sovra-network/sovra/txclient"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// Provider registered by ProviderKey: enough bond for many jobs' collateral and the
// most jobs a provider may take, so a load of jobs is assigned rather than queued.
const (
	providerBond    = 1_000_000_000
	providerPrice   = 1
	providerProfile = "cpu-x64-f32-greedy-v1"
)

// fundChunk bounds the outputs of one funding multi-send.
const fundChunk = 200

// submitAndWait signs msgs with key (gas by simulation), broadcasts them and waits until
// the tx is in a block, failing unless both CheckTx and execution return code 0.
func (r *runner) submitAndWait(ctx context.Context, key txclient.Key, what string, msgs ...sdk.Msg) error {
	_, start, err := r.n.status(ctx)
	if err != nil {
		return err
	}
	c := txclient.New(r.enc, r.chainID, r.n.tx, key, txclient.Options{GasAdjustment: 1.5})
	hash, err := c.Broadcast(ctx, msgs...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	f, err := newFollower(ctx, r.n, start, r.opts.PollInterval, nil)
	if err != nil {
		return err
	}
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	go f.run(fctx)
	found, err := f.waitFor(ctx, [][]byte{hash}, time.Now().Add(r.opts.CommitTimeout))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	o, ok := found[string(hash)]
	if !ok {
		return fmt.Errorf("%s: tx %X not in a block after %s", what, hash, r.opts.CommitTimeout)
	}
	if o.code != 0 {
		return fmt.Errorf("%s: tx failed in block %d with %s/%d: %s", what, o.height, o.codespace, o.code, o.log)
	}
	fmt.Fprintf(r.opts.Log, "loadgen: %s: committed at height %d\n", what, o.height)
	return nil
}

func adjustGas(used uint64, adj float64) uint64 {
	return uint64(math.Ceil(float64(used) * adj))
}

// perTxCost is what one load tx takes from its sender (sends go round the accounts,
// but a sender may run ahead of the one that pays it).
func (r *runner) perTxCost() int64 {
	if r.opts.Kind == KindSend {
		return r.opts.SendAmount
	}
	return r.maxFee.Amount.Int64()
}

// fund tops every load account up to the funding amount from the funder key.
func (r *runner) fund(ctx context.Context) error {
	need := sdkmath.NewInt(r.opts.FundAmount)
	if r.opts.FundAmount == 0 {
		share := int64((r.opts.Count + len(r.signers) - 1) / len(r.signers))
		need = sdkmath.NewInt(r.perTxCost()).MulRaw(share).MulRaw(2).AddRaw(1_000_000)
	}
	var outputs []banktypes.Output
	total := sdkmath.ZeroInt()
	for _, s := range r.signers {
		bal, err := r.n.balance(ctx, s.Bech32(), r.opts.Denom)
		if err != nil {
			return err
		}
		if bal.GTE(need) {
			continue
		}
		amt := need.Sub(bal)
		outputs = append(outputs, banktypes.Output{Address: s.Bech32(), Coins: sdk.NewCoins(sdk.NewCoin(r.opts.Denom, amt))})
		total = total.Add(amt)
	}
	if len(outputs) == 0 {
		fmt.Fprintf(r.opts.Log, "loadgen: %d accounts already hold %s%s each\n", len(r.signers), need, r.opts.Denom)
		return nil
	}
	if r.opts.FunderKey == "" {
		return fmt.Errorf("%d load accounts hold less than %s%s and no funder key is set", len(outputs), need, r.opts.Denom)
	}
	kr, err := openKeyring(r.opts.KeyringDir, r.opts.KeyringBackend)
	if err != nil {
		return err
	}
	funder, err := txclient.KeyringKey(kr, r.opts.FunderKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.opts.Log, "loadgen: funding %d accounts with %s%s from %s (%s)\n",
		len(outputs), total, r.opts.Denom, r.opts.FunderKey, funder.Bech32())
	for lo := 0; lo < len(outputs); lo += fundChunk {
		chunk := outputs[lo:min(lo+fundChunk, len(outputs))]
		sum := sdk.NewCoins()
		for _, o := range chunk {
			sum = sum.Add(o.Coins...)
		}
		msg := &banktypes.MsgMultiSend{
			Inputs:  []banktypes.Input{{Address: funder.Bech32(), Coins: sum}},
			Outputs: chunk,
		}
		if err := r.submitAndWait(ctx, funder, fmt.Sprintf("fund %d accounts", len(chunk)), msg); err != nil {
			return err
		}
	}
	return nil
}

// prepareJobs fixes the job fee and deadline, registering a provider first when asked
// and none serves the model.
func (r *runner) prepareJobs(ctx context.Context) error {
	price, err := r.cheapestProvider(ctx)
	if err != nil {
		return err
	}
	if price.IsNil() && r.opts.ProviderKey != "" {
		if err := r.registerProvider(ctx, r.opts.ProviderKey); err != nil {
			return err
		}
		if price, err = r.cheapestProvider(ctx); err != nil {
			return err
		}
	}
	if price.IsNil() && r.opts.MaxFee == 0 {
		return fmt.Errorf("no active provider serves model %q: register one (ProviderKey / --provider-key) or jobs fail with no provider", r.opts.ModelID)
	}
	if r.opts.MaxFee > 0 {
		r.maxFee = sdk.NewInt64Coin(r.opts.Denom, r.opts.MaxFee)
	} else {
		// The bound the task module checks: prompt bytes + 2 + max output tokens.
		units := int64(len(r.opts.Prompt)) + 2 + int64(r.opts.MaxOutputTokens)
		r.maxFee = sdk.NewCoin(r.opts.Denom, price.MulRaw(units))
	}
	r.deadline = r.opts.DeadlineBlocks
	if r.deadline == 0 {
		res, err := tasktypes.NewQueryClient(r.n.queries).Params(ctx, &tasktypes.QueryParamsRequest{})
		if err != nil {
			return fmt.Errorf("task params: %w", err)
		}
		r.deadline = res.Params.MaxDeadlineBlocks
	}
	fmt.Fprintf(r.opts.Log, "loadgen: jobs for %s with max fee %s, deadline %d blocks\n", r.opts.ModelID, r.maxFee, r.deadline)
	return nil
}

// cheapestProvider is the lowest price of an active provider of the model (nil Int when
// there is none).
func (r *runner) cheapestProvider(ctx context.Context) (sdkmath.Int, error) {
	res, err := providertypes.NewQueryClient(r.n.queries).Providers(ctx, &providertypes.QueryProvidersRequest{Model: r.opts.ModelID})
	if err != nil {
		return sdkmath.Int{}, fmt.Errorf("providers of %s: %w", r.opts.ModelID, err)
	}
	var best sdkmath.Int
	for _, p := range res.Providers {
		if p.Status != providertypes.PROVIDER_STATUS_ACTIVE || p.PricePerToken.Denom != r.opts.Denom {
			continue
		}
		if best.IsNil() || p.PricePerToken.Amount.LT(best) {
			best = p.PricePerToken.Amount
		}
	}
	return best, nil
}

// registerProvider registers keyring key name as a provider of the model, its own worker.
func (r *runner) registerProvider(ctx context.Context, name string) error {
	kr, err := openKeyring(r.opts.KeyringDir, r.opts.KeyringBackend)
	if err != nil {
		return err
	}
	op, err := txclient.KeyringKey(kr, name)
	if err != nil {
		return err
	}
	params, err := providertypes.NewQueryClient(r.n.queries).Params(ctx, &providertypes.QueryParamsRequest{})
	if err != nil {
		return fmt.Errorf("provider params: %w", err)
	}
	bond := sdk.NewInt64Coin(params.Params.MinBond.Denom, providerBond)
	if bond.Amount.LT(params.Params.MinBond.Amount) {
		bond = params.Params.MinBond
	}
	msg := &providertypes.MsgRegisterProvider{
		Operator:      op.Bech32(),
		Worker:        op.Bech32(),
		Models:        []string{r.opts.ModelID},
		Bond:          bond,
		PricePerToken: sdk.NewInt64Coin(r.opts.Denom, providerPrice),
		Profile:       providerProfile,
		MaxJobs:       providertypes.MaxMaxJobs,
	}
	return r.submitAndWait(ctx, op, fmt.Sprintf("register provider %s for %s", name, r.opts.ModelID), msg)
}
