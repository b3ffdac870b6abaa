// Package appfixture runs the real Sovra app in process: genesis with one validator
// that has a VRF key, and real blocks (PrepareProposal, ProcessProposal, FinalizeBlock,
// Commit), so multi-module flows and invariants are tested as a node runs them.
package appfixture

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client/flags"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/sovra-network/sovra/app"
	beacontypes "github.com/sovra-network/sovra/x/beacon/types"
	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// ChainID of every fixture chain.
const ChainID = "sovra-fixture-1"

// Account is a funded test account.
type Account struct {
	Name    string
	Priv    cryptotypes.PrivKey
	Address sdk.AccAddress
	Number  uint64
	Seq     uint64
}

// Options shape the genesis.
type Options struct {
	// Accounts are created with Balance each.
	Accounts []string
	Balance  sdkmath.Int
	// Genesis lets a test edit module genesis states before InitChain.
	Genesis func(cdc GenesisEditor)
	// NoVRFKey starts the validator without a registered VRF key (weak beacons).
	NoVRFKey bool
	// NewApp, when set, builds the app instead of app.New: a binary with other upgrades
	// (app.NewWithUpgrades). Restart switches to another.
	NewApp AppBuilder
}

// GenesisEditor edits the genesis map with the app codec.
type GenesisEditor struct {
	State map[string]json.RawMessage
	App   *app.App
}

// Fixture is a running single-validator app.
type Fixture struct {
	T        testing.TB
	App      *app.App
	Home     string
	Accounts map[string]*Account
	Operator *Account
	ConsAddr sdk.ConsAddress
	VRFKey   vrf.PrivateKey
	// LastBlock is the FinalizeBlock response of the last block (events, tx results).
	LastBlock *abci.ResponseFinalizeBlock
	// AfterBlock, when set, runs after every committed block (invariant checks).
	AfterBlock func()
	// LastFinalize and LastCommit are how long FinalizeBlock (PreBlock, BeginBlock, txs,
	// EndBlock) and Commit took in the last block NextBlock or TryNextBlock ran
	// (benchmarks of the block hooks).
	LastFinalize, LastCommit time.Duration

	height int64
	now    time.Time
	// readCtx, when set, is what Ctx returns (an imported state read before its first
	// block, see GenesisRoundTrip).
	readCtx *sdk.Context
	// db and appOpts are the node's database and config, kept across Restart; pending is
	// a block whose FinalizeBlock failed, finalized again by the next block (restart.go).
	db      dbm.DB
	appOpts simtestutil.AppOptionsMap
	pending *abci.RequestFinalizeBlock
}

// New builds the app and runs InitChain and the first block.
func New(t testing.TB, opts Options) *Fixture {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	vrfKey, err := vrf.NewKeyFromSeed(make([]byte, vrf.SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	if err := vrf.SaveKeyFile(filepath.Join(home, "config", "vrf_key.json"), vrfKey); err != nil {
		t.Fatal(err)
	}
	appOpts := simtestutil.AppOptionsMap{flags.FlagHome: home}
	if opts.NewApp == nil {
		opts.NewApp = app.New
	}
	db := dbm.NewMemDB()
	a := opts.NewApp(log.NewNopLogger(), db, nil, true, appOpts, baseapp.SetChainID(ChainID))
	f := &Fixture{
		T: t, App: a, Home: home, Accounts: map[string]*Account{}, VRFKey: vrfKey,
		now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), db: db, appOpts: appOpts,
	}

	if opts.Balance.IsNil() {
		opts.Balance = sdkmath.NewInt(1_000_000_000_000)
	}
	names := append([]string{"operator"}, opts.Accounts...)
	var genAccs []authtypes.GenesisAccount
	var balances []banktypes.Balance
	for i, name := range names {
		priv := secp256k1.GenPrivKeyFromSecret([]byte("sovra-fixture/" + name))
		acc := &Account{Name: name, Priv: priv, Address: sdk.AccAddress(priv.PubKey().Address()), Number: uint64(i)}
		f.Accounts[name] = acc
		genAccs = append(genAccs, authtypes.NewBaseAccount(acc.Address, priv.PubKey(), acc.Number, 0))
		balances = append(balances, banktypes.Balance{Address: acc.Address.String(), Coins: sdk.NewCoins(sdk.NewCoin(app.BondDenom, opts.Balance))})
	}
	f.Operator = f.Accounts["operator"]

	consPriv := ed25519.GenPrivKeyFromSecret([]byte("sovra-fixture/consensus"))
	f.ConsAddr = sdk.ConsAddress(consPriv.PubKey().Address())
	state := a.DefaultGenesis()
	state = withValidator(t, a, state, consPriv.PubKey(), f.Operator, genAccs, balances)
	if !opts.NoVRFKey {
		state = withVRFKey(t, a, state, vrfKey, sdk.ValAddress(f.Operator.Address).String())
	}
	if opts.Genesis != nil {
		opts.Genesis(GenesisEditor{State: state, App: a})
	}
	stateBytes, err := json.Marshal(state)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := cryptocodec.ToCmtProtoPublicKey(consPriv.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.InitChain(&abci.RequestInitChain{
		ChainId:         ChainID,
		Time:            f.now,
		AppStateBytes:   stateBytes,
		ConsensusParams: consensusParams(),
		Validators:      []abci.ValidatorUpdate{{PubKey: pk, Power: 100}},
		InitialHeight:   1,
	})
	if err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	f.NextBlock()
	return f
}

func withValidator(t testing.TB, a *app.App, state map[string]json.RawMessage, consPub cryptotypes.PubKey,
	operator *Account, genAccs []authtypes.GenesisAccount, balances []banktypes.Balance,
) map[string]json.RawMessage {
	cdc := a.AppCodec()
	authGen := authtypes.NewGenesisState(authtypes.DefaultParams(), genAccs)
	state[authtypes.ModuleName] = cdc.MustMarshalJSON(authGen)

	pkAny, err := codectypes.NewAnyWithValue(consPub)
	if err != nil {
		t.Fatal(err)
	}
	bond := sdk.DefaultPowerReduction.MulRaw(100)
	valAddr := sdk.ValAddress(operator.Address)
	val := stakingtypes.Validator{
		OperatorAddress:   valAddr.String(),
		ConsensusPubkey:   pkAny,
		Status:            stakingtypes.Bonded,
		Tokens:            bond,
		DelegatorShares:   sdkmath.LegacyNewDecFromInt(bond),
		UnbondingTime:     time.Unix(0, 0).UTC(),
		Commission:        stakingtypes.NewCommission(sdkmath.LegacyZeroDec(), sdkmath.LegacyZeroDec(), sdkmath.LegacyZeroDec()),
		MinSelfDelegation: sdkmath.ZeroInt(),
	}
	var stakingGen stakingtypes.GenesisState
	cdc.MustUnmarshalJSON(state[stakingtypes.ModuleName], &stakingGen)
	stakingGen.Validators = []stakingtypes.Validator{val}
	stakingGen.Delegations = []stakingtypes.Delegation{stakingtypes.NewDelegation(operator.Address.String(), valAddr.String(), sdkmath.LegacyNewDecFromInt(bond))}
	state[stakingtypes.ModuleName] = cdc.MustMarshalJSON(&stakingGen)

	supply := sdk.NewCoins(sdk.NewCoin(app.BondDenom, bond))
	for _, b := range balances {
		supply = supply.Add(b.Coins...)
	}
	balances = append(balances, banktypes.Balance{
		Address: authtypes.NewModuleAddress(stakingtypes.BondedPoolName).String(),
		Coins:   sdk.NewCoins(sdk.NewCoin(app.BondDenom, bond)),
	})
	var bankGen banktypes.GenesisState
	cdc.MustUnmarshalJSON(state[banktypes.ModuleName], &bankGen)
	bankGen.Balances = balances
	bankGen.Supply = supply
	state[banktypes.ModuleName] = cdc.MustMarshalJSON(&bankGen)
	return state
}

func withVRFKey(t testing.TB, a *app.App, state map[string]json.RawMessage, key vrf.PrivateKey, valoper string) map[string]json.RawMessage {
	cdc := a.AppCodec()
	var gen beacontypes.GenesisState
	cdc.MustUnmarshalJSON(state[beacontypes.ModuleName], &gen)
	proof, _ := vrf.Prove(key, vrf.PossessionInput(ChainID, valoper))
	gen.VrfKeys = append(gen.VrfKeys, beacontypes.VRFKey{Validator: valoper, PubKey: key.PubKey()})
	gen.VrfKeyProofs = append(gen.VrfKeyProofs, proof)
	state[beacontypes.ModuleName] = cdc.MustMarshalJSON(&gen)
	return state
}

// consensusParams are the SDK test defaults with blocks as large as a localnet allows,
// so big blocks of txs are neither cut by size nor by gas, and without the defaults'
// consensus-level authority (the gov account with the cosmos prefix, which would
// override every SDK module's own): like the genesis `sovrad init` writes, the SDK
// modules check their keeper's authority, Sovra's gov account.
func consensusParams() *cmtproto.ConsensusParams {
	p := *simtestutil.DefaultConsensusParams
	block := *p.Block
	block.MaxBytes, block.MaxGas = 21<<20, -1
	p.Block = &block
	p.Authority = nil
	return &p
}

// Height is the last committed height.
func (f *Fixture) Height() int64 { return f.height }

// NextBlock proposes, checks, finalizes and commits a block holding txs, the way
// CometBFT drives the app, and returns each tx's result (beacon entry excluded). A block
// that fails fails the test (TryNextBlock returns the error).
func (f *Fixture) NextBlock(txs ...[]byte) []*abci.ExecTxResult {
	f.T.Helper()
	res, err := f.TryNextBlock(txs...)
	if err != nil {
		f.T.Fatalf("FinalizeBlock(%d): %v", f.height+1, err)
	}
	return res
}

// Ctx is a read context on the latest committed state.
func (f *Fixture) Ctx() sdk.Context {
	if f.readCtx != nil {
		return *f.readCtx
	}
	return f.App.NewUncachedContext(false, cmtproto.Header{Height: f.height, ChainID: ChainID, Time: f.now}) //nolint:staticcheck // SA1019: a read of committed state between blocks, which NewNextBlockContext does not give
}

// SignTx builds and signs a tx of msgs from acc, advancing its sequence.
func (f *Fixture) SignTx(acc *Account, msgs ...sdk.Msg) []byte {
	f.T.Helper()
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(int64(acc.Seq))), f.App.TxConfig(), msgs,
		sdk.NewCoins(), 2_000_000, ChainID, []uint64{acc.Number}, []uint64{acc.Seq}, acc.Priv)
	if err != nil {
		f.T.Fatal(err)
	}
	bz, err := f.App.TxConfig().TxEncoder()(tx)
	if err != nil {
		f.T.Fatal(err)
	}
	acc.Seq++
	return bz
}

// Deliver runs msgs from acc in the next block and returns the tx result.
func (f *Fixture) Deliver(acc *Account, msgs ...sdk.Msg) *abci.ExecTxResult {
	f.T.Helper()
	res := f.NextBlock(f.SignTx(acc, msgs...))[0]
	f.SyncSequence(acc)
	return res
}

// SyncSequence reloads acc's sequence from state: a tx refused before the ante handler
// ran (stateless validation) does not consume it.
func (f *Fixture) SyncSequence(acc *Account) {
	if a := f.App.AccountKeeper.GetAccount(f.Ctx(), acc.Address); a != nil {
		acc.Seq = a.GetSequence()
	}
}

// MustDeliver fails the test unless the tx succeeds.
func (f *Fixture) MustDeliver(acc *Account, msgs ...sdk.Msg) *abci.ExecTxResult {
	f.T.Helper()
	res := f.Deliver(acc, msgs...)
	if res.Code != 0 {
		f.T.Fatalf("tx from %s failed (code %d): %s", acc.Name, res.Code, res.Log)
	}
	return res
}

// Balance of addr in usovra.
func (f *Fixture) Balance(addr sdk.AccAddress) sdkmath.Int {
	return f.App.BankKeeper.GetBalance(f.Ctx(), addr, app.BondDenom).Amount
}
