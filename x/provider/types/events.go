package types

// Event types and attribute keys emitted by x/provider. Amounts are coin strings (e.g. "5usovra").
const (
	EventTypeProviderRegistered = "provider_registered"
	EventTypeProviderUpdated    = "provider_updated"
	EventTypeBondAdded          = "bond_added"
	EventTypeUnbondingStarted   = "unbonding_started"
	EventTypeUnbondingCompleted = "unbonding_completed"
	EventTypeProviderJailed     = "provider_jailed"
	EventTypeProviderUnjailed   = "provider_unjailed"
	EventTypeProviderSlashed    = "provider_slashed"
	EventTypeModelRegistered    = "model_registered"
	EventTypeParamsUpdated      = "provider_params_updated"
	EventTypeAuditKeySet        = "audit_key_set"

	AttributeKeyOperator         = "operator"
	AttributeKeyWorker           = "worker"
	AttributeKeyModels           = "models"
	AttributeKeyModel            = "model"
	AttributeKeySha256           = "sha256"
	AttributeKeyBond             = "bond"
	AttributeKeyAmount           = "amount"
	AttributeKeyPricePerToken    = "price_per_token"
	AttributeKeyProfile          = "profile"
	AttributeKeyMaxJobs          = "max_jobs"
	AttributeKeyCompletionHeight = "completion_height"
	AttributeKeyJailedUntil      = "jailed_until"
	AttributeKeyMisses           = "misses"
	AttributeKeyRecipient        = "recipient"
	AttributeKeyJailed           = "jailed"
	AttributeKeyAuditKey         = "audit_key"
)
