package txclient_test

import "cosmossdk.io/math"

func sdkMustDec(s string) math.LegacyDec { return math.LegacyMustNewDecFromStr(s) }
