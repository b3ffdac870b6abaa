// Package abci holds the ABCI++ proposal handlers that put the proposer's beacon
// entry at index 0 of every block and check it, the PreBlocker that stores the beacon
// before any module runs, and the tx decoder wrapper that keeps entries out of the
// mempool.
package abci

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/sovra-network/sovra/x/beacon/types"
)

// EntryPrefix starts every beacon entry (see types.EntryPrefix).
const EntryPrefix = types.EntryPrefix

// ErrEntryAsTx is returned by a wrapped tx decoder for beacon entry bytes.
var ErrEntryAsTx = errorsmod.Wrap(sdkerrors.ErrTxDecode,
	"beacon entries are added by the block proposer and cannot be sent as transactions")

// EncodeEntry returns EntryPrefix followed by the protobuf encoding of e.
func EncodeEntry(e types.BeaconEntry) ([]byte, error) { return types.EncodeEntry(e) }

// DecodeEntry parses an entry made by EncodeEntry; it rejects non-canonical bytes.
func DecodeEntry(tx []byte) (types.BeaconEntry, error) { return types.DecodeEntry(tx) }

// IsEntry reports whether tx starts with the beacon entry prefix.
func IsEntry(tx []byte) bool { return types.IsEntry(tx) }

// WrapTxDecoder makes dec refuse beacon entries with ErrEntryAsTx, so CheckTx (and
// with it the mempool) and any decoding of a block's txs never treat an entry as a tx.
func WrapTxDecoder(dec sdk.TxDecoder) sdk.TxDecoder {
	return func(txBytes []byte) (sdk.Tx, error) {
		if IsEntry(txBytes) {
			return nil, ErrEntryAsTx
		}
		return dec(txBytes)
	}
}
