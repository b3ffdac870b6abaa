package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sovra-network/sovra/x/rewards/types"
)

func TestQueries(t *testing.T) {
	f := setup(t)
	f.bank.fund(modAddr(taskModule), coins(t, "1000stake"))
	f.bank.fund(modAddr(verifyModule), coins(t, "7stake"))
	_, err := f.k.DistributeFee(f.ctx, taskModule, addr(1), coins(t, "1000stake"))
	require.NoError(t, err)
	require.NoError(t, f.k.Accrue(f.ctx, verifyModule, addr(1), types.SourceAudits, coins(t, "7stake")))

	params, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, types.DefaultParams(), params.Params)

	pending, err := f.query.Pending(f.ctx, &types.QueryPendingRequest{Address: addr(1).String()})
	require.NoError(t, err)
	require.Equal(t, coins(t, "807stake"), pending.Total)
	require.Len(t, pending.BySource, 2)
	require.Equal(t, types.SourceAudits, pending.BySource[0].Source)
	require.Equal(t, types.SourceJobs, pending.BySource[1].Source)

	empty, err := f.query.Pending(f.ctx, &types.QueryPendingRequest{Address: addr(2).String()})
	require.NoError(t, err)
	require.True(t, empty.Total.IsZero())
	require.Empty(t, empty.BySource)

	for _, bad := range []string{"", "sovra1xyz", "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"} {
		_, err := f.query.Pending(f.ctx, &types.QueryPendingRequest{Address: bad})
		require.Equal(t, codes.InvalidArgument, status.Code(err), "address %q", bad)
	}
	_, err = f.query.Pending(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	pool, err := f.query.VerificationPool(f.ctx, &types.QueryVerificationPoolRequest{})
	require.NoError(t, err)
	require.Equal(t, coins(t, "100stake"), pool.Balance)
}
