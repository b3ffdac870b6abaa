package types

import (
	"net/url"
	"strings"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// ValidatePrice checks a price per token: a valid coin with a positive amount. The denom
// is checked against the bond denom by the keeper.
func ValidatePrice(price sdk.Coin) error {
	if err := price.Validate(); err != nil {
		return ErrInvalidPrice.Wrap(err.Error())
	}
	if !price.Amount.IsPositive() {
		return ErrInvalidPrice.Wrapf("price_per_token must be positive, got %s", price)
	}
	return nil
}

// ValidateBondCoin checks that a bond (or bond top-up) is a valid positive coin.
func ValidateBondCoin(field string, c sdk.Coin) error {
	if err := c.Validate(); err != nil {
		return ErrInvalidBond.Wrapf("%s: %s", field, err)
	}
	if !c.Amount.IsPositive() {
		return ErrInvalidBond.Wrapf("%s must be positive, got %s", field, c)
	}
	return nil
}

// ValidateProfile checks a determinism profile name: 1–64 characters, no control characters.
func ValidateProfile(profile string) error {
	if len(profile) == 0 || len(profile) > MaxProfileLen {
		return ErrInvalidProvider.Wrapf("profile must be 1-%d characters, got %d", MaxProfileLen, len(profile))
	}
	return noControlChars("profile", profile)
}

// ValidateEndpoint checks an optional endpoint: empty, or a URL with scheme and host of at
// most 256 characters.
func ValidateEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	if len(endpoint) > MaxEndpointLen {
		return ErrInvalidProvider.Wrapf("endpoint longer than %d characters", MaxEndpointLen)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return ErrInvalidProvider.Wrapf("endpoint: %s", err)
	}
	if u.Scheme == "" || u.Host == "" {
		return ErrInvalidProvider.Wrapf("endpoint %q must be an absolute URL such as https://host:port", endpoint)
	}
	return nil
}

// ValidateHardware checks the optional free-text hardware description.
func ValidateHardware(hardware string) error {
	if len(hardware) > MaxHardwareLen {
		return ErrInvalidProvider.Wrapf("hardware longer than %d characters", MaxHardwareLen)
	}
	return noControlChars("hardware", hardware)
}

// ValidateMaxJobs checks max_jobs (0 means DefaultMaxJobs at registration).
func ValidateMaxJobs(n uint32) error {
	if n > MaxMaxJobs {
		return ErrInvalidProvider.Wrapf("max_jobs must be at most %d, got %d", MaxMaxJobs, n)
	}
	return nil
}

func noControlChars(field, s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return ErrInvalidProvider.Wrapf("%s contains a control character", field)
		}
	}
	return nil
}

// IsActive reports whether the provider can be assigned work.
func (p Provider) IsActive() bool { return p.Status == PROVIDER_STATUS_ACTIVE }

// FreeCollateral is the part of the bond not locked by open jobs (negative if a slash
// left the bond below the locked amount).
func (p Provider) FreeCollateral() math.Int {
	return p.Bond.Amount.Sub(p.LockedAmount())
}

// LockedAmount returns locked, reading an unset value (e.g. omitted in genesis JSON) as zero.
func (p Provider) LockedAmount() math.Int {
	if p.Locked.IsNil() {
		return math.ZeroInt()
	}
	return p.Locked
}

// SameOperator reports whether two providers are run by the same operator as far as the
// chain can tell: they share the operator or the worker address, or one's worker is the
// other's operator. Addresses compare case-insensitively (bech32 is case-insensitive, and
// genesis may hold either case); empty addresses match nothing. A provider is the same
// operator as itself.
func SameOperator(a, b Provider) bool {
	same := func(x, y string) bool { return x != "" && strings.EqualFold(x, y) }
	return same(a.Operator, b.Operator) || same(a.Worker, b.Worker) ||
		same(a.Worker, b.Operator) || same(a.Operator, b.Worker)
}
