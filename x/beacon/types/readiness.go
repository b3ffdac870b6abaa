package types

import "bytes"

// Readiness answers "can this node's proposals carry a VRF proof?" for a node, from its
// VRF key file and the chain's view of the validator behind its consensus key. The node
// (proposal handler: log and metrics) and `sovrad vrf status` share it.
type Readiness int

// Readiness states, worst first. Their numbers are the sovra_beacon_vrf_state gauge.
const (
	// ReadinessNoKeyFile: the node has no usable VRF key file.
	ReadinessNoKeyFile Readiness = iota
	// ReadinessNotValidator: the node's consensus key is not a validator's (yet).
	ReadinessNotValidator
	// ReadinessNotRegistered: the node has a key, but its validator registered none.
	ReadinessNotRegistered
	// ReadinessKeyMismatch: the validator's registered key is not the node's key.
	ReadinessKeyMismatch
	// ReadinessReady: the node's key is the validator's registered key.
	ReadinessReady
)

// AllReadiness lists every state in order.
var AllReadiness = []Readiness{ReadinessNoKeyFile, ReadinessNotValidator, ReadinessNotRegistered, ReadinessKeyMismatch, ReadinessReady}

// Evaluate derives the state. localPub is the node's VRF public key (nil without a
// usable key file), isValidator whether its consensus key belongs to a validator, and
// registered that validator's registered VRF public key (nil when it has none).
func Evaluate(localPub []byte, isValidator bool, registered []byte) Readiness {
	switch {
	case !isValidator && localPub == nil:
		return ReadinessNoKeyFile
	case !isValidator:
		return ReadinessNotValidator
	case localPub == nil:
		return ReadinessNoKeyFile
	case registered == nil:
		return ReadinessNotRegistered
	case !bytes.Equal(localPub, registered):
		return ReadinessKeyMismatch
	default:
		return ReadinessReady
	}
}

// String is the state's name, as printed by `sovrad vrf status` and used as the
// metric label.
func (r Readiness) String() string {
	switch r {
	case ReadinessNoKeyFile:
		return "no_key_file"
	case ReadinessNotValidator:
		return "not_validator"
	case ReadinessNotRegistered:
		return "not_registered"
	case ReadinessKeyMismatch:
		return "key_mismatch"
	case ReadinessReady:
		return "ready"
	default:
		return "unknown"
	}
}

// Summary says in one sentence what the state means for the node's proposals.
func (r Readiness) Summary() string {
	switch r {
	case ReadinessNoKeyFile:
		return "this node has no VRF key file: its proposals carry no VRF proof (weak beacons)"
	case ReadinessNotValidator:
		return "this node's consensus key is not a validator's: it proposes no blocks"
	case ReadinessNotRegistered:
		return "this node has a VRF key, but its validator has registered none: its proposals carry no VRF proof (weak beacons)"
	case ReadinessKeyMismatch:
		return "the VRF key registered for this validator is not this node's key: its proposals carry no proof and are rejected while require_vrf is on"
	case ReadinessReady:
		return "this node's VRF key is the validator's registered key: its proposals carry VRF proofs"
	default:
		return "unknown state"
	}
}

// Advice says what the operator should do, empty when nothing.
func (r Readiness) Advice() string {
	switch r {
	case ReadinessNoKeyFile:
		return "run `sovrad vrf init` on this node (the running node loads the new file at its next proposal, no restart needed), then `sovrad tx beacon register-vrf-key --from <operator key>`; if the validator already registered a key, restore that key's vrf_key.json instead"
	case ReadinessNotValidator:
		return "create the validator (`sovrad tx staking create-validator`), then register this node's VRF key with `sovrad tx beacon register-vrf-key --from <operator key>`"
	case ReadinessNotRegistered:
		return "register the key: `sovrad tx beacon register-vrf-key --from <operator key>` (no restart needed)"
	case ReadinessKeyMismatch:
		return "put the registered key's vrf_key.json in <home>/config (a registered key cannot be replaced); the node picks it up at its next proposal"
	default:
		return ""
	}
}
