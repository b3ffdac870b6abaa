// Package page bounds the work of the modules' list queries: every one pages by key
// with the SDK's collections pagination, and no page holds more than MaxLimit entries,
// whatever limit a client asks for.
package page

import "github.com/cosmos/cosmos-sdk/types/query"

// MaxLimit is the most entries one page of a list query holds.
const MaxLimit = 1000

// Capped returns p with its limit capped at MaxLimit (nil and limits within it as they
// are: the SDK's default of 100 applies when no limit is given).
func Capped(p *query.PageRequest) *query.PageRequest {
	if p == nil || p.Limit <= MaxLimit {
		return p
	}
	capped := *p
	capped.Limit = MaxLimit
	return &capped
}
