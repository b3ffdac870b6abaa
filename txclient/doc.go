// Package txclient is Sovra's one way to put transactions on chain: sign (SIGN_MODE_DIRECT,
// with a keyring key or a raw key), size the gas by simulation, broadcast over CometBFT
// RPC, recover from a stale account sequence, back off while the mempool is full, and wait
// until the transaction is in a block. The worker, the CLI helpers of sovrad and the load
// generator use it, each with its own Node (gRPC + RPC, or the CLI's client.Context).
//
// A Client serializes the sends of one account, so concurrent callers never reuse a
// sequence; the sequence is tracked locally and re-read from the chain only when the
// node says it is wrong or a broadcast's fate is unknown. A transaction that other keys
// sign too (a provider registration, signed by its worker) goes through SendCoSigned:
// the co-signers' accounts are read at every try (SignMulti signs with several keys).
package txclient
