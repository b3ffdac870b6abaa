package keeper

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	collcodec "cosmossdk.io/collections/codec"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/sovra-network/sovra/x/provider/weighttree"
)

// TreeMeta is a model's weight tree meta (weighttree.Meta), stored by treeMetaValue.
type TreeMeta = weighttree.Meta

// treeMetaValue stores TreeMeta as 24 big-endian bytes.
type treeMetaValue struct{}

var _ collcodec.ValueCodec[TreeMeta] = treeMetaValue{}

func (treeMetaValue) Encode(m TreeMeta) ([]byte, error) {
	b := make([]byte, 24)
	binary.BigEndian.PutUint64(b[0:], m.Size)
	binary.BigEndian.PutUint64(b[8:], m.NextSlot)
	binary.BigEndian.PutUint64(b[16:], m.Free)
	return b, nil
}

func (treeMetaValue) Decode(b []byte) (TreeMeta, error) {
	if len(b) != 24 {
		return TreeMeta{}, fmt.Errorf("tree meta: want 24 bytes, got %d", len(b))
	}
	return TreeMeta{
		Size:     binary.BigEndian.Uint64(b[0:]),
		NextSlot: binary.BigEndian.Uint64(b[8:]),
		Free:     binary.BigEndian.Uint64(b[16:]),
	}, nil
}

func (treeMetaValue) EncodeJSON(m TreeMeta) ([]byte, error) { return json.Marshal(m) }

func (treeMetaValue) DecodeJSON(b []byte) (TreeMeta, error) {
	var m TreeMeta
	err := json.Unmarshal(b, &m)
	return m, err
}

func (treeMetaValue) Stringify(m TreeMeta) string {
	return fmt.Sprintf("size=%d next_slot=%d free=%d", m.Size, m.NextSlot, m.Free)
}

func (treeMetaValue) ValueType() string { return "sovra.provider.TreeMeta" }

// collcodecAccAddressValue stores an address as its raw bytes.
var collcodecAccAddressValue = collcodec.KeyToValueCodec(sdk.AccAddressKey)
