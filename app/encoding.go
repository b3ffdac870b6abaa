package app

import "github.com/sovra-network/sovra/app/params"

// EncodingConfig bundles the codecs of the app (see app/params, which builds them
// without an app for clients).
type EncodingConfig = params.EncodingConfig

// MakeEncodingConfig builds the codecs with the sovra address prefixes.
func MakeEncodingConfig() EncodingConfig { return params.MakeEncodingConfig() }
