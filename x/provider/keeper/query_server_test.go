package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/sovra-network/sovra/x/provider/types"
)

func TestQueries(t *testing.T) {
	f := newFixture(t)
	for i := 1; i <= 5; i++ {
		models := []string{"llama-7b"}
		if i%2 == 0 {
			models = []string{"tiny_model", "llama-7b"}
		}
		f.register(t, i, 1, models...)
	}

	params, err := f.qs.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, types.DefaultParams(), params.Params)

	byOp, err := f.qs.Provider(f.ctx, &types.QueryProviderRequest{Address: addr(3).String()})
	require.NoError(t, err)
	byWorker, err := f.qs.Provider(f.ctx, &types.QueryProviderRequest{Address: workerOf(3).String()})
	require.NoError(t, err)
	require.Equal(t, byOp.Provider, byWorker.Provider)
	_, err = f.qs.Provider(f.ctx, &types.QueryProviderRequest{Address: addr(42).String()})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = f.qs.Provider(f.ctx, &types.QueryProviderRequest{Address: "bogus"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	all, err := f.qs.Providers(f.ctx, &types.QueryProvidersRequest{})
	require.NoError(t, err)
	require.Len(t, all.Providers, 5)

	tiny, err := f.qs.Providers(f.ctx, &types.QueryProvidersRequest{Model: "tiny_model"})
	require.NoError(t, err)
	require.Len(t, tiny.Providers, 2)
	for _, p := range tiny.Providers {
		require.Contains(t, p.Models, "tiny_model")
	}

	// Pagination over the model index.
	page1, err := f.qs.Providers(f.ctx, &types.QueryProvidersRequest{Model: "llama-7b", Pagination: &query.PageRequest{Limit: 3, CountTotal: true}})
	require.NoError(t, err)
	require.Len(t, page1.Providers, 3)
	require.Equal(t, uint64(5), page1.Pagination.Total)
	page2, err := f.qs.Providers(f.ctx, &types.QueryProvidersRequest{Model: "llama-7b", Pagination: &query.PageRequest{Key: page1.Pagination.NextKey}})
	require.NoError(t, err)
	require.Len(t, page2.Providers, 2)
	seen := map[string]bool{}
	for _, p := range append(page1.Providers, page2.Providers...) {
		require.False(t, seen[p.Operator])
		seen[p.Operator] = true
	}

	none, err := f.qs.Providers(f.ctx, &types.QueryProvidersRequest{Model: "qwen2.5-0.5b"})
	require.NoError(t, err)
	require.Empty(t, none.Providers)

	models, err := f.qs.Models(f.ctx, &types.QueryModelsRequest{})
	require.NoError(t, err)
	require.Len(t, models.Models, len(testModels))
	for _, m := range models.Models { // answers carry the chat template
		if m.Id == "qwen2.5-0.5b" {
			require.Equal(t, "chatml", m.ChatTemplate)
		}
	}
	qwen, err := f.qs.Model(f.ctx, &types.QueryModelRequest{Id: "qwen2.5-0.5b"})
	require.NoError(t, err)
	require.Equal(t, testModels[1], qwen.Model)
	m, err := f.qs.Model(f.ctx, &types.QueryModelRequest{Id: "tiny_model"})
	require.NoError(t, err)
	require.Equal(t, testModels[2], m.Model)
	_, err = f.qs.Model(f.ctx, &types.QueryModelRequest{Id: "nope"})
	require.Equal(t, codes.NotFound, status.Code(err))
}
