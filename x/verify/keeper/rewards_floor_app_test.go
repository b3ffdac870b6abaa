package keeper_test

import (
	"errors"
	"testing"

	sdkmath "cosmossdk.io/math"

	rewardskeeper "github.com/sovra-network/sovra/x/rewards/keeper"
	rewardstypes "github.com/sovra-network/sovra/x/rewards/types"
)

// TestRewardsShareFloor: the two modules' params are checked together from either side;
// x/rewards refuses a verification_share below what audits pay out on average
// (audit_rate × verifiers_per_audit), and accepts one at or above it.
func TestRewardsShareFloor(t *testing.T) {
	e := newEnv(t, defaultSetup())
	ctx := e.f.Ctx()
	rk := e.f.App.RewardsKeeper
	srv := rewardskeeper.NewMsgServerImpl(rk)
	before, err := rk.Params.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	need := e.s.verify.AuditRate.MulInt64(int64(e.s.verify.VerifiersPerAudit))
	tooLow := rewardstypes.Params{
		ProviderShare: sdkmath.LegacyOneDec().Sub(need).Add(sdkmath.LegacyNewDecWithPrec(1, 2)), VerificationShare: need.Sub(sdkmath.LegacyNewDecWithPrec(1, 2)),
		ValidatorShare: sdkmath.LegacyZeroDec(), CommunityShare: sdkmath.LegacyZeroDec(), BurnShare: sdkmath.LegacyZeroDec(),
	}
	_, err = srv.UpdateParams(ctx, &rewardstypes.MsgUpdateParams{Authority: rk.GetAuthority(), Params: tooLow})
	if !errors.Is(err, rewardstypes.ErrInvalidParams) {
		t.Fatalf("verification share below the audit payout: err %v, want %s", err, rewardstypes.ErrInvalidParams)
	}
	if after, _ := rk.Params.Get(ctx); !after.VerificationShare.Equal(before.VerificationShare) {
		t.Fatalf("a refused update changed the params: %s", after.VerificationShare)
	}
	enough := tooLow
	enough.ProviderShare, enough.VerificationShare = sdkmath.LegacyOneDec().Sub(need), need
	if _, err := srv.UpdateParams(ctx, &rewardstypes.MsgUpdateParams{Authority: rk.GetAuthority(), Params: enough}); err != nil {
		t.Fatalf("a share equal to the payout rate was refused: %v", err)
	}
}
