package simulation

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
)

// validator is a member of CometBFT's validator set: consensus address and power.
type validator struct {
	addr  sdk.ConsAddress
	power int64
}

// valSet is a validator set in address order.
type valSet []validator

// apply returns the set after CometBFT's validator updates (power 0 removes).
func (s valSet) apply(updates []abci.ValidatorUpdate) (valSet, error) {
	out := slices.Clone(s)
	for _, u := range updates {
		pk, err := cryptocodec.FromCmtProtoPublicKey(u.PubKey)
		if err != nil {
			return nil, fmt.Errorf("validator update: %w", err)
		}
		addr := sdk.ConsAddress(pk.Address())
		i := slices.IndexFunc(out, func(v validator) bool { return v.addr.Equals(addr) })
		switch {
		case u.Power == 0 && i >= 0:
			out = slices.Delete(out, i, i+1)
		case u.Power > 0 && i >= 0:
			out[i].power = u.Power
		case u.Power > 0:
			out = append(out, validator{addr: addr, power: u.Power})
		}
	}
	slices.SortFunc(out, func(a, b validator) int { return bytes.Compare(a.addr, b.addr) })
	return out, nil
}

// proposers returns the set in the order a seed makes them propose at one height: drawn
// by power without replacement, as CometBFT's rounds move on to other proposers when a
// proposal is refused.
func (s valSet) proposers(r *rand.Rand) []sdk.ConsAddress {
	left := slices.Clone(s)
	var out []sdk.ConsAddress
	for len(left) > 0 {
		var total int64
		for _, v := range left {
			total += v.power
		}
		n := r.Int63n(total)
		for i, v := range left {
			if n < v.power {
				out = append(out, v.addr)
				left = slices.Delete(left, i, i+1)
				break
			}
			n -= v.power
		}
	}
	return out
}

// liveness tells which validators sign: each goes offline now and then (one chance in
// 500 a block) for 1 to 40 blocks, long enough for x/slashing's downtime jail with short
// signing windows, as long as more than two thirds of the power still sign (else CometBFT
// would not commit the block).
type liveness struct {
	offlineUntil map[string]int64
}

// votes is the DecidedLastCommit of height h: who of the previous height's set signed.
func (l *liveness) votes(r *rand.Rand, prev valSet, h int64) abci.CommitInfo {
	var total, offline int64
	for _, v := range prev {
		total += v.power
		if l.offlineUntil[string(v.addr)] >= h {
			offline += v.power
		}
	}
	ci := abci.CommitInfo{Votes: make([]abci.VoteInfo, 0, len(prev))}
	for _, v := range prev { // address order: deterministic
		key := string(v.addr)
		if l.offlineUntil[key] < h && r.Intn(500) == 0 && 3*(offline+v.power) < total {
			l.offlineUntil[key] = h + r.Int63n(40)
			offline += v.power
		}
		flag := cmtproto.BlockIDFlagCommit
		if l.offlineUntil[key] >= h {
			flag = cmtproto.BlockIDFlagAbsent
		}
		ci.Votes = append(ci.Votes, abci.VoteInfo{Validator: abci.Validator{Address: v.addr, Power: v.power}, BlockIdFlag: flag})
	}
	return ci
}

// valoper is the validator operator address of a simulated account (the staking
// simulation makes an account's validator from its own address and consensus key).
func valoper(acc simtypes.Account) string { return sdk.ValAddress(acc.Address).String() }
