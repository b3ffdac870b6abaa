package types

// Event types and attribute keys; indexers and the worker read these.
const (
	EventTypeFeeDistributed = "fee_distributed"
	EventTypeRewardsAccrued = "rewards_accrued"
	EventTypeRewardsClaimed = "rewards_claimed"
	EventTypeParamsUpdated  = "rewards_params_updated"

	AttributeKeyFromModule       = "from_module"
	AttributeKeyProvider         = "provider"
	AttributeKeyFee              = "fee"
	AttributeKeyProviderAmount   = "provider_amount"
	AttributeKeyVerificationPool = "verification_pool"
	AttributeKeyValidators       = "validators"
	AttributeKeyCommunity        = "community"
	AttributeKeyBurned           = "burned"
	AttributeKeyAddress          = "address"
	AttributeKeySource           = "source"
	AttributeKeyAmount           = "amount"
)
