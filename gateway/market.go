package gateway

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/types/query"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
)

// marketTTL is how long a read of the models and their providers is reused.
const marketTTL = 2 * time.Second

// modelMarket is a model and the active providers that serve it.
type modelMarket struct {
	Model     providertypes.Model
	Providers []providertypes.Provider // active ones, cheapest first
}

// Prices returns the lowest and highest price per token among the providers in denom.
func (m modelMarket) prices(denom string) (lo, hi sdkmath.Int, ok bool) {
	for _, p := range m.Providers {
		if p.PricePerToken.Denom != denom {
			continue
		}
		if !ok || p.PricePerToken.Amount.LT(lo) {
			lo = p.PricePerToken.Amount
		}
		if !ok || p.PricePerToken.Amount.GT(hi) {
			hi = p.PricePerToken.Amount
		}
		ok = true
	}
	return lo, hi, ok
}

// bidPrice is the price per token a request bids: the highest provider price that fits
// both the price cap (zero: none) and the fee cap for units tokens, so that as many
// providers as the caps allow can take the job. ok is false when no provider's price fits.
func (m modelMarket) bidPrice(denom string, priceCap, feeCap sdkmath.Int, units uint64) (sdkmath.Int, bool) {
	var best sdkmath.Int
	found := false
	for _, p := range m.Providers {
		price := p.PricePerToken
		if price.Denom != denom || (!priceCap.IsNil() && priceCap.IsPositive() && price.Amount.GT(priceCap)) {
			continue
		}
		if price.Amount.Mul(sdkmath.NewIntFromUint64(units)).GT(feeCap) {
			continue
		}
		if !found || price.Amount.GT(best) {
			best, found = price.Amount, true
		}
	}
	return best, found
}

// market reads and caches the chain's models, providers and task params.
type market struct {
	chain *chainClient

	mu     sync.Mutex
	at     time.Time
	models map[string]modelMarket
	order  []string
	params tasktypes.Params
}

func (m *market) snapshot(ctx context.Context) (map[string]modelMarket, []string, tasktypes.Params, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.models != nil && time.Since(m.at) < marketTTL {
		return m.models, m.order, m.params, nil
	}
	pq := providertypes.NewQueryClient(m.chain.conn())
	mres, err := pq.Models(ctx, &providertypes.QueryModelsRequest{})
	if err != nil {
		return nil, nil, tasktypes.Params{}, fmt.Errorf("query models: %w", err)
	}
	tres, err := tasktypes.NewQueryClient(m.chain.conn()).Params(ctx, &tasktypes.QueryParamsRequest{})
	if err != nil {
		return nil, nil, tasktypes.Params{}, fmt.Errorf("query task params: %w", err)
	}
	models := make(map[string]modelMarket, len(mres.Models))
	order := make([]string, 0, len(mres.Models))
	for _, md := range mres.Models {
		mm := modelMarket{Model: md}
		var key []byte
		for {
			res, err := pq.Providers(ctx, &providertypes.QueryProvidersRequest{Model: md.Id, Pagination: &query.PageRequest{Key: key, Limit: 1000}})
			if err != nil {
				return nil, nil, tasktypes.Params{}, fmt.Errorf("query providers of %q: %w", md.Id, err)
			}
			for _, p := range res.Providers {
				if p.Status == providertypes.PROVIDER_STATUS_ACTIVE {
					mm.Providers = append(mm.Providers, p)
				}
			}
			if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
				break
			}
			key = res.Pagination.NextKey
		}
		sort.SliceStable(mm.Providers, func(i, j int) bool {
			return mm.Providers[i].PricePerToken.Amount.LT(mm.Providers[j].PricePerToken.Amount)
		})
		models[md.Id] = mm
		order = append(order, md.Id)
	}
	sort.Strings(order)
	m.models, m.order, m.params, m.at = models, order, tres.Params, time.Now()
	return models, order, tres.Params, nil
}
