package types

import (
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Fee is what a committed job costs: its price per token times its prompt and output
// tokens, at most its max fee. Verifiers of an audit are paid the same.
func (j Job) Fee() sdk.Coin {
	units := math.NewIntFromUint64(j.PromptTokens + j.OutputTokens)
	return sdk.NewCoin(j.MaxFee.Denom, math.MinInt(j.PricePerToken.Amount.Mul(units), j.MaxFee.Amount))
}
