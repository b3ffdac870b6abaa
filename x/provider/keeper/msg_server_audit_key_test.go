package keeper_test

import (
	"encoding/hex"
	"testing"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	"github.com/sovra-network/sovra/x/provider/types"
)

// TestSetAuditKey: the worker key sets its provider's audit key; bad keys, a key that is
// no provider's worker and a provider party to an open audit are refused with nothing
// changed.
func TestSetAuditKey(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 5) // register publishes a first key
	key := make([]byte, types.AuditKeySize)
	key[0] = 7
	_, err := f.ms.SetAuditKey(f.ctx, &types.MsgSetAuditKey{Worker: workerOf(1).String(), AuditKey: key})
	require.NoError(t, err)
	require.Equal(t, key, f.provider(t, op).AuditKey)

	before := f.storeSnapshot()
	for name, msg := range map[string]*types.MsgSetAuditKey{
		"all-zero key":   {Worker: workerOf(1).String(), AuditKey: make([]byte, types.AuditKeySize)},
		"order-8 key":    {Worker: workerOf(1).String(), AuditKey: orderEight()},
		"short key":      {Worker: workerOf(1).String(), AuditKey: key[:31]},
		"operator key":   {Worker: op.String(), AuditKey: key},
		"unknown worker": {Worker: addr(99).String(), AuditKey: key},
		"bad address":    {Worker: "sovra1nope", AuditKey: key},
	} {
		_, err := f.ms.SetAuditKey(f.ctx, msg)
		require.Error(t, err, name)
	}
	require.Equal(t, before, f.storeSnapshot(), "a refused key changed the store")

	// Party to an open audit: the key, worker, models and profile are frozen.
	require.NoError(t, f.k.AuditOpened(f.ctx, op))
	_, err = f.ms.SetAuditKey(f.ctx, &types.MsgSetAuditKey{Worker: workerOf(1).String(), AuditKey: append([]byte{8}, key[1:]...)})
	require.ErrorIs(t, err, types.ErrAuditOpen)
	_, err = f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: op.String(), Profile: "gpu-other-v1"})
	require.ErrorIs(t, err, types.ErrAuditOpen)
	_, err = f.ms.ChangeWorker(f.ctx, &types.MsgChangeWorker{Operator: op.String(), Worker: addr(50).String()})
	require.ErrorIs(t, err, types.ErrAuditOpen)
	_, err = f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: op.String(), MaxJobs: 9})
	require.NoError(t, err, "fields an audit does not rely on may change")
	require.NoError(t, f.k.AuditClosed(f.ctx, op))
	_, err = f.ms.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Operator: op.String(), Profile: "gpu-other-v1"})
	require.NoError(t, err)
	require.NoError(t, f.k.AuditClosed(f.ctx, op), "closing below zero stays at zero")
	require.Zero(t, f.provider(t, op).OpenAudits)
}

// TestAuditStake: a verifier's stake locks free bond without a job slot and comes back;
// more than the free bond is refused.
func TestAuditStake(t *testing.T) {
	f := newFixture(t)
	op := f.register(t, 1, 5)
	p := f.provider(t, op)
	require.NoError(t, f.k.LockStake(f.ctx, op, math.NewInt(1_000)))
	got := f.provider(t, op)
	require.Equal(t, math.NewInt(1_000), got.LockedAmount())
	require.Equal(t, p.ActiveJobs, got.ActiveJobs)
	require.ErrorIs(t, f.k.LockStake(f.ctx, op, p.Bond.Amount), types.ErrInsufficientCollateral)
	require.NoError(t, f.k.ReleaseStake(f.ctx, op, math.NewInt(1_000)))
	require.True(t, f.provider(t, op).LockedAmount().IsZero())
	require.NoError(t, f.k.ReleaseStake(f.ctx, addr(77), math.NewInt(1)), "a provider that left is skipped")
}

// orderEight is a point of order 8 of Curve25519: every shared secret with it is one of
// eight values, so anyone could open what is sealed to it.
func orderEight() []byte {
	k, err := hex.DecodeString("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")
	if err != nil {
		panic(err)
	}
	return k
}
