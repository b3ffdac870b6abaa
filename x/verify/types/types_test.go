package types_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/sovra-network/sovra/x/verify/types"
)

func init() { sdk.GetConfig().SetBech32PrefixForAccount("sovra", "sovrapub") }

func addr(i byte) string { return sdk.AccAddress(bytes.Repeat([]byte{i}, 20)).String() }

func dec(s string) sdkmath.LegacyDec { return sdkmath.LegacyMustNewDecFromStr(s) }

func TestParamsValidate(t *testing.T) {
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatalf("default params: %v", err)
	}
	d := types.DefaultParams()
	if got := d.AuditRate.MulInt64(int64(d.CollateralMultiplier)); got.LT(sdkmath.LegacyOneDec()) {
		t.Fatalf("default audit_rate × collateral_multiplier = %s < 1", got)
	}
	for _, tc := range []struct {
		name string
		edit func(*types.Params)
		ok   bool
	}{
		{"audit rate 1", func(p *types.Params) { p.AuditRate = sdkmath.LegacyOneDec() }, true},
		{"rate × multiplier exactly 1", func(p *types.Params) { p.AuditRate, p.CollateralMultiplier = dec("0.25"), 4 }, true},
		{"rate × multiplier just below 1", func(p *types.Params) { p.AuditRate, p.CollateralMultiplier = dec("0.249999999999999999"), 4 }, false},
		{"rate × multiplier 0.9", func(p *types.Params) { p.AuditRate, p.CollateralMultiplier = dec("0.3"), 3 }, false},
		{"zero audit rate", func(p *types.Params) { p.AuditRate = sdkmath.LegacyZeroDec() }, false},
		{"negative audit rate", func(p *types.Params) { p.AuditRate = dec("-0.1") }, false},
		{"audit rate above 1", func(p *types.Params) { p.AuditRate = dec("1.000000000000000001") }, false},
		{"nil audit rate", func(p *types.Params) { p.AuditRate = sdkmath.LegacyDec{} }, false},
		{"no verifier", func(p *types.Params) { p.VerifiersPerAudit = 0 }, false},
		{"16 verifiers", func(p *types.Params) { p.VerifiersPerAudit = 16 }, true},
		{"17 verifiers", func(p *types.Params) { p.VerifiersPerAudit = 17 }, false},
		{"no escalation", func(p *types.Params) { p.EscalationK = 0 }, false},
		{"32 escalation verifiers", func(p *types.Params) { p.EscalationK = 32 }, true},
		{"33 escalation verifiers", func(p *types.Params) { p.EscalationK = 33 }, false},
		{"empty commit phase", func(p *types.Params) { p.CommitPhaseBlocks = 0 }, false},
		{"empty reveal phase", func(p *types.Params) { p.RevealPhaseBlocks = 0 }, false},
		{"commit phase 10001", func(p *types.Params) { p.CommitPhaseBlocks = 10_001 }, false},
		{"reveal phase 10000", func(p *types.Params) { p.RevealPhaseBlocks = 10_000 }, true},
		{"zero provider slash", func(p *types.Params) { p.ProviderSlashFraction = sdkmath.LegacyZeroDec() }, true},
		{"provider slash above 1", func(p *types.Params) { p.ProviderSlashFraction = dec("1.1") }, false},
		{"negative verifier slash", func(p *types.Params) { p.VerifierSlashFraction = dec("-0.01") }, false},
		{"nil verifier slash", func(p *types.Params) { p.VerifierSlashFraction = sdkmath.LegacyDec{} }, false},
		{"whole slash as bounty", func(p *types.Params) { p.BountyFraction = sdkmath.LegacyOneDec() }, true},
		{"bounty above 1", func(p *types.Params) { p.BountyFraction = dec("1.5") }, false},
		{"zero collateral multiplier", func(p *types.Params) { p.CollateralMultiplier = 0 }, false},
		{"collateral multiplier 1000", func(p *types.Params) { p.CollateralMultiplier = 1000 }, true},
		{"collateral multiplier 1001", func(p *types.Params) { p.CollateralMultiplier = 1001 }, false},
	} {
		p := types.DefaultParams()
		tc.edit(&p)
		if err := p.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestValidateVerificationShare(t *testing.T) {
	for _, tc := range []struct {
		rate  string
		k     uint32
		share string
		ok    bool
	}{
		{"0.10", 1, "0.10", true}, // the default: share = rate × k
		{"0.10", 1, "0.099999999999999999", false},
		{"0.10", 3, "0.30", true},
		{"0.10", 3, "0.29", false},
		{"0.25", 1, "0.25", true},
		{"0.5", 2, "1", true},
		{"1", 1, "0.99", false},
	} {
		p := types.DefaultParams()
		p.AuditRate, p.VerifiersPerAudit = dec(tc.rate), tc.k
		if err := p.ValidateVerificationShare(dec(tc.share)); (err == nil) != tc.ok {
			t.Errorf("rate %s k %d share %s: %v, want ok=%v", tc.rate, tc.k, tc.share, err, tc.ok)
		}
	}
}

func TestMsgValidateBasic(t *testing.T) {
	h := make([]byte, 32)
	tr := types.Trace{Chosen: []int32{0}, Top: []int32{0}}
	opening := []types.AuditOpening{{Verifier: addr(3), Sealed: []byte{1}}}
	for _, tc := range []struct {
		name string
		msg  interface{ ValidateBasic() error }
		want error
	}{
		{"commit ok", &types.MsgCommitVerification{Signer: addr(1), JobId: 1, Commitment: h}, nil},
		{"commit bad signer", &types.MsgCommitVerification{Signer: "sovra1xyz", JobId: 1, Commitment: h}, sdkerrors.ErrInvalidAddress},
		{"commit empty signer", &types.MsgCommitVerification{JobId: 1, Commitment: h}, sdkerrors.ErrInvalidAddress},
		{"commit job 0", &types.MsgCommitVerification{Signer: addr(1), Commitment: h}, types.ErrInvalidMsg},
		{"commit 31 bytes", &types.MsgCommitVerification{Signer: addr(1), JobId: 1, Commitment: h[:31]}, types.ErrInvalidMsg},
		{"commit 33 bytes", &types.MsgCommitVerification{Signer: addr(1), JobId: 1, Commitment: append(h, 0)}, types.ErrInvalidMsg},
		{"commit none", &types.MsgCommitVerification{Signer: addr(1), JobId: 1}, types.ErrInvalidMsg},
		{"reveal ok", &types.MsgReveal{Signer: addr(1), JobId: 1, OutputHash: h, Salt: make([]byte, 16), Trace: tr}, nil},
		{"reveal salt 64", &types.MsgReveal{Signer: addr(1), JobId: 1, OutputHash: h, Salt: make([]byte, 64), Trace: tr}, nil},
		{"reveal no trace", &types.MsgReveal{Signer: addr(1), JobId: 1, OutputHash: h, Salt: make([]byte, 16)}, types.ErrInvalidTrace},
		{"reveal trace too long", &types.MsgReveal{
			Signer: addr(1), JobId: 1, OutputHash: h, Salt: make([]byte, 16),
			Trace: types.Trace{Chosen: make([]int32, types.MaxTracePositions+1)},
		}, types.ErrInvalidTrace},
		{"open ok", &types.MsgOpenAudit{Signer: addr(1), JobId: 1, Openings: opening}, nil},
		{"open bad signer", &types.MsgOpenAudit{Signer: "x", JobId: 1, Openings: opening}, sdkerrors.ErrInvalidAddress},
		{"open job 0", &types.MsgOpenAudit{Signer: addr(1), Openings: opening}, types.ErrInvalidMsg},
		{"open none", &types.MsgOpenAudit{Signer: addr(1), JobId: 1}, types.ErrInvalidMsg},
		{"open bad verifier", &types.MsgOpenAudit{Signer: addr(1), JobId: 1, Openings: []types.AuditOpening{{Verifier: "v", Sealed: []byte{1}}}}, sdkerrors.ErrInvalidAddress},
		{"open twice to one verifier", &types.MsgOpenAudit{Signer: addr(1), JobId: 1, Openings: append(opening, opening...)}, types.ErrInvalidMsg},
		{"open empty", &types.MsgOpenAudit{Signer: addr(1), JobId: 1, Openings: []types.AuditOpening{{Verifier: addr(3)}}}, types.ErrInvalidMsg},
		{"open oversize", &types.MsgOpenAudit{Signer: addr(1), JobId: 1, Openings: []types.AuditOpening{{Verifier: addr(3), Sealed: make([]byte, types.MaxOpeningBytes+1)}}}, types.ErrInvalidMsg},
		{"reveal bad signer", &types.MsgReveal{Signer: "x", JobId: 1, OutputHash: h, Salt: make([]byte, 16)}, sdkerrors.ErrInvalidAddress},
		{"reveal job 0", &types.MsgReveal{Signer: addr(1), OutputHash: h, Salt: make([]byte, 16)}, types.ErrInvalidMsg},
		{"reveal 31-byte hash", &types.MsgReveal{Signer: addr(1), JobId: 1, OutputHash: h[:31], Salt: make([]byte, 16)}, types.ErrInvalidMsg},
		{"reveal no hash", &types.MsgReveal{Signer: addr(1), JobId: 1, Salt: make([]byte, 16)}, types.ErrInvalidMsg},
		{"reveal salt 15", &types.MsgReveal{Signer: addr(1), JobId: 1, OutputHash: h, Salt: make([]byte, 15)}, types.ErrInvalidMsg},
		{"reveal salt 65", &types.MsgReveal{Signer: addr(1), JobId: 1, OutputHash: h, Salt: make([]byte, 65)}, types.ErrInvalidMsg},
		{"update ok", &types.MsgUpdateParams{Authority: addr(2), Params: types.DefaultParams()}, nil},
		{"update bad authority", &types.MsgUpdateParams{Authority: "gov", Params: types.DefaultParams()}, sdkerrors.ErrInvalidAddress},
		{"update bad params", &types.MsgUpdateParams{Authority: addr(2), Params: types.Params{}}, types.ErrInvalidParams},
	} {
		err := tc.msg.ValidateBasic()
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != nil && !errorsIs(err, tc.want):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func errorsIs(err, target error) bool {
	type is interface{ Is(error) bool }
	if t, ok := target.(is); ok {
		return err != nil && t.Is(err)
	}
	return false
}

func TestCommitmentEncodings(t *testing.T) {
	h, salt, op := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16), bytes.Repeat([]byte{3}, 20)
	tr := types.Trace{Chosen: []int32{-5}, Top: []int32{0}, Challenge: []int32{-900}}
	th := tr.Hash()
	want := sha256.Sum256(append(append(append(append([]byte("sovra/verification/v2"), h...), th[:]...), salt...), op...))
	if got := types.VerifierCommitment(h, th, salt, op); !bytes.Equal(got, want[:]) {
		t.Fatalf("VerifierCommitment %x, want sha256(domain ‖ hash ‖ trace hash ‖ salt ‖ operator) %x", got, want)
	}
	if bytes.Equal(types.VerifierCommitment(h, th, salt, op), types.VerifierCommitment(h, th, salt, bytes.Repeat([]byte{4}, 20))) {
		t.Fatal("the commitment does not bind the operator: one verifier could copy another's")
	}
	other := tr
	other.Challenge = []int32{-901}
	if bytes.Equal(types.VerifierCommitment(h, th, salt, op), types.VerifierCommitment(h, other.Hash(), salt, op)) {
		t.Fatal("the commitment does not bind the trace")
	}
	beacon := bytes.Repeat([]byte{9}, 64)
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], 42)
	wantSeed := sha256.Sum256(append(append([]byte("sovra/job/v1"), beacon...), id[:]...))
	if got := types.AuditSeed(beacon, 42); !bytes.Equal(got, wantSeed[:]) {
		t.Fatalf("AuditSeed %x, want %x", got, wantSeed)
	}
	wantEsc := sha256.Sum256(append(append([]byte("sovra/escalation/v1"), beacon...), id[:]...))
	if got := types.EscalationSeed(beacon, 42); !bytes.Equal(got, wantEsc[:]) {
		t.Fatalf("EscalationSeed %x, want %x", got, wantEsc)
	}
	if bytes.Equal(types.AuditSeed(beacon, 42), types.AuditSeed(beacon, 43)) || bytes.Equal(types.AuditSeed(beacon, 42), types.EscalationSeed(beacon, 42)) {
		t.Fatal("seeds not separated by job id or domain")
	}
}

// seedOf is a seed whose first 8 bytes are u.
func seedOf(u uint64) []byte {
	s := make([]byte, 32)
	binary.BigEndian.PutUint64(s, u)
	return s
}

// TestAuditedBoundaries: the decision maps u, the seed's first 8 bytes, to
// floor(u × 10^18 / 2^64) < audit_rate × 10^18, so exactly the fraction audit_rate of
// [0, 2^64) is audited, up to one part in 10^18.
func TestAuditedBoundaries(t *testing.T) {
	for _, tc := range []struct {
		rate string
		u    uint64
		want bool
	}{
		{"0.5", 1<<63 - 1, true},
		{"0.5", 1 << 63, false},
		{"0.25", 1<<62 - 1, true},
		{"0.25", 1 << 62, false},
		{"1", math.MaxUint64, true},
		{"1", 0, true},
		{"0.000000000000000001", 0, true},
		{"0.000000000000000001", 18, true},  // floor(18 × 10^18 / 2^64) = 0
		{"0.000000000000000001", 19, false}, // floor(19 × 10^18 / 2^64) = 1
		{"0.1", math.MaxUint64, false},
		{"0.1", 0, true},
	} {
		if got := types.Audited(seedOf(tc.u), dec(tc.rate)); got != tc.want {
			t.Errorf("rate %s, u %d: %v, want %v", tc.rate, tc.u, got, tc.want)
		}
	}
}

// TestAuditedRate: over many seeds (sha256 outputs, as on chain) the audited fraction is
// the audit rate within 3σ.
func TestAuditedRate(t *testing.T) {
	const n = 200_000
	for _, rate := range []string{"0.01", "0.1", "0.25", "0.5", "0.9"} {
		p, _ := dec(rate).Float64()
		hits := 0
		for i := uint64(0); i < n; i++ {
			if types.Audited(types.AuditSeed([]byte(rate), i), dec(rate)) {
				hits++
			}
		}
		sigma := math.Sqrt(p * (1 - p) / n)
		if got := float64(hits) / n; math.Abs(got-p) > 3*sigma {
			t.Errorf("rate %s: audited %.5f of %d seeds (σ %.5f)", rate, got, n, sigma)
		}
	}
}

func TestGenesisValidate(t *testing.T) {
	ok := types.Audit{
		JobId: 1, Provider: addr(1), Status: types.AUDIT_STATUS_COMMIT, Round: 1,
		Verifiers: []types.Verifier{{Operator: addr(2), Round: 1, Stake: sdkmath.NewInt(5)}},
	}
	if err := types.DefaultGenesis().Validate(); err != nil {
		t.Fatalf("default genesis: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(*types.GenesisState)
		ok   bool
	}{
		{"one audit", func(g *types.GenesisState) { g.Audits = []types.Audit{ok} }, true},
		{"bad params", func(g *types.GenesisState) { g.Params.AuditRate = sdkmath.LegacyZeroDec() }, false},
		{"job 0", func(g *types.GenesisState) { a := ok; a.JobId = 0; g.Audits = []types.Audit{a} }, false},
		{"duplicate job", func(g *types.GenesisState) { g.Audits = []types.Audit{ok, ok} }, false},
		{"bad provider", func(g *types.GenesisState) { a := ok; a.Provider = "nope"; g.Audits = []types.Audit{a} }, false},
		{"no status", func(g *types.GenesisState) {
			a := ok
			a.Status = types.AUDIT_STATUS_UNSPECIFIED
			g.Audits = []types.Audit{a}
		}, false},
		{"unknown status", func(g *types.GenesisState) { a := ok; a.Status = 9; g.Audits = []types.Audit{a} }, false},
		{"round 0", func(g *types.GenesisState) { a := ok; a.Round = 0; g.Audits = []types.Audit{a} }, false},
		{"round 3", func(g *types.GenesisState) { a := ok; a.Round = 3; g.Audits = []types.Audit{a} }, false},
		{"verifier without a stake", func(g *types.GenesisState) {
			a := ok
			a.Verifiers = []types.Verifier{{Operator: addr(2), Round: 1}}
			g.Audits = []types.Audit{a}
		}, false},
		{"negative stake", func(g *types.GenesisState) {
			a := ok
			a.Verifiers = []types.Verifier{{Operator: addr(2), Round: 1, Stake: sdkmath.NewInt(-1)}}
			g.Audits = []types.Audit{a}
		}, false},
		{"bad verifier", func(g *types.GenesisState) {
			a := ok
			a.Verifiers = []types.Verifier{{Operator: strings.ToUpper(addr(2)) + "x", Round: 1}}
			g.Audits = []types.Audit{a}
		}, false},
	} {
		g := types.DefaultGenesis()
		tc.edit(g)
		if err := g.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		} else if err != nil && !types.ErrInvalidGenesis.Is(err) {
			t.Errorf("%s: %v is not ErrInvalidGenesis", tc.name, err)
		}
	}
}

// FuzzMsgReveal: ValidateBasic never panics and accepts exactly the well-formed reveals,
// the precondition of the keeper's [32]byte conversion of the hash.
func FuzzMsgReveal(f *testing.F) {
	f.Add(addr(1), uint64(1), make([]byte, 32), make([]byte, 16))
	f.Add("", uint64(0), []byte{}, []byte{})
	f.Add(addr(2), uint64(7), make([]byte, 31), make([]byte, 65))
	f.Fuzz(func(t *testing.T, signer string, id uint64, hash, salt []byte) {
		err := (&types.MsgReveal{Signer: signer, JobId: id, OutputHash: hash, Salt: salt, Trace: types.Trace{Chosen: []int32{0}, Top: []int32{0}}}).ValidateBasic()
		_, addrErr := sdk.AccAddressFromBech32(signer)
		valid := addrErr == nil && id != 0 && len(hash) == 32 && len(salt) >= 16 && len(salt) <= 64
		if (err == nil) != valid {
			t.Fatalf("signer %q id %d hash %d salt %d: %v", signer, id, len(hash), len(salt), err)
		}
	})
}

// FuzzVerifierCommitment: a commitment opens only with its own hash, salt and operator
// (no ambiguity from the concatenation within the fixed hash length).
func FuzzVerifierCommitment(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 16), make([]byte, 20), byte(1))
	f.Fuzz(func(t *testing.T, hash, salt, op []byte, flip byte) {
		if len(hash) != 32 || len(salt) < 16 || len(op) == 0 {
			return
		}
		th := types.Trace{Chosen: []int32{int32(flip)}, Top: []int32{0}}.Hash()
		c := types.VerifierCommitment(hash, th, salt, op)
		if len(c) != 32 {
			t.Fatalf("commitment of %d bytes", len(c))
		}
		other := append([]byte{}, salt...)
		other[0] ^= flip | 1
		if bytes.Equal(c, types.VerifierCommitment(hash, th, other, op)) {
			t.Fatal("another salt opens the commitment")
		}
	})
}
