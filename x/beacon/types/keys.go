package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the beacon module.
	ModuleName = "beacon"
	// StoreKey is the KV store key of the beacon module.
	StoreKey = ModuleName
)

// Collection prefixes. Never reuse or renumber a prefix: it is part of the state layout.
var (
	ParamsKey          = collections.NewPrefix(0)
	BeaconsKey         = collections.NewPrefix(1)
	VRFKeysKey         = collections.NewPrefix(2)
	VRFKeysByPubKeyKey = collections.NewPrefix(3)
	StatsKey           = collections.NewPrefix(4)
	VRFKeyProofsKey    = collections.NewPrefix(5)
	BondedHeightsKey   = collections.NewPrefix(6)
)
