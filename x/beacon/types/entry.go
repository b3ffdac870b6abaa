package types

import (
	"bytes"
	"fmt"
)

// EntryPrefix starts every beacon entry. A leading 0x00 byte can never start a valid
// SDK transaction (protobuf field number 0 is invalid), so entries and transactions
// cannot be confused.
const EntryPrefix = "\x00sovra/beacon\x00"

// MaxEntrySize bounds the bytes DecodeEntry accepts (prefix + height + 80-byte proof
// fit in well under 128 bytes).
const MaxEntrySize = 256

// IsEntry reports whether tx carries the beacon entry prefix.
func IsEntry(tx []byte) bool {
	return bytes.HasPrefix(tx, []byte(EntryPrefix))
}

// EncodeEntry returns EntryPrefix followed by the protobuf encoding of e.
func EncodeEntry(e BeaconEntry) ([]byte, error) {
	bz, err := e.Marshal()
	if err != nil {
		return nil, err
	}
	return append([]byte(EntryPrefix), bz...), nil
}

// DecodeEntry parses bytes made by EncodeEntry. It also rejects encodings that do not
// re-encode to the same bytes, so one entry has exactly one valid byte form.
func DecodeEntry(tx []byte) (BeaconEntry, error) {
	if !IsEntry(tx) {
		return BeaconEntry{}, fmt.Errorf("%w: missing the beacon entry prefix", ErrInvalidEntry)
	}
	if len(tx) > MaxEntrySize {
		return BeaconEntry{}, fmt.Errorf("%w: %d bytes exceeds the maximum %d", ErrInvalidEntry, len(tx), MaxEntrySize)
	}
	var e BeaconEntry
	if err := e.Unmarshal(tx[len(EntryPrefix):]); err != nil {
		return BeaconEntry{}, fmt.Errorf("%w: %w", ErrInvalidEntry, err)
	}
	canonical, err := EncodeEntry(e)
	if err != nil || !bytes.Equal(canonical, tx) {
		return BeaconEntry{}, fmt.Errorf("%w: non-canonical encoding", ErrInvalidEntry)
	}
	return e, nil
}
