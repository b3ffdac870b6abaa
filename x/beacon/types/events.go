package types

// Event types and attribute keys emitted by x/beacon.
const (
	// EventTypeBeacon is emitted by ApplyBlock (in the PreBlocker) for every height.
	EventTypeBeacon = "beacon"
	// EventTypeVRFKeyRegistered is emitted when a validator registers its VRF key.
	EventTypeVRFKeyRegistered = "vrf_key_registered"
	// EventTypeParamsUpdated is emitted when governance changes the params.
	EventTypeParamsUpdated = "beacon_params_updated"

	AttributeKeyHeight        = "height"
	AttributeKeyOutput        = "output" // hex
	AttributeKeyProposer      = "proposer"
	AttributeKeyWeak          = "weak"
	AttributeKeyWeakReason    = "weak_reason"
	AttributeKeyValidator     = "validator"
	AttributeKeyPubKey        = "pub_key" // hex
	AttributeKeyHistoryWindow = "history_window"
	AttributeKeyRequireVRF    = "require_vrf"
)
