package vrf

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFileName is the file name of a node's VRF key inside <home>/config.
const KeyFileName = "vrf_key.json"

// DefaultKeyFile returns <home>/config/vrf_key.json.
func DefaultKeyFile(home string) string {
	return filepath.Join(home, "config", KeyFileName)
}

// keyFile is the on-disk JSON form. priv_key holds seed || public key (64 bytes),
// the layout CometBFT uses for ed25519 keys.
type keyFile struct {
	PubKey  string `json:"pub_key"`
	PrivKey string `json:"priv_key"`
}

// SaveKeyFile writes key to path with mode 0600, creating the parent directory
// (0700) when needed. It replaces an existing file atomically.
func SaveKeyFile(path string, key PrivateKey) error {
	if key.IsZero() {
		return errors.New("vrf: refusing to save an empty key")
	}
	bz, err := json.MarshalIndent(keyFile{
		PubKey:  base64.StdEncoding.EncodeToString(key.PubKey()),
		PrivKey: base64.StdEncoding.EncodeToString(key.Bytes()),
	}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("vrf: create key directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".vrf_key-*.tmp")
	if err != nil {
		return fmt.Errorf("vrf: write key file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("vrf: write key file: %w", err)
	}
	if _, err := tmp.Write(append(bz, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("vrf: write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("vrf: write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vrf: write key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("vrf: write key file: %w", err)
	}
	return nil
}

// LoadKeyFile reads a key written by SaveKeyFile and checks that pub_key matches the
// private key.
func LoadKeyFile(path string) (PrivateKey, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("vrf: read key file: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(bz, &kf); err != nil {
		return PrivateKey{}, fmt.Errorf("vrf: parse key file %s: %w", path, err)
	}
	priv, err := base64.StdEncoding.DecodeString(kf.PrivKey)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("vrf: key file %s: priv_key is not base64: %w", path, err)
	}
	key, err := PrivateKeyFromBytes(priv)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("vrf: key file %s: %w", path, err)
	}
	if kf.PubKey != "" {
		pub, err := base64.StdEncoding.DecodeString(kf.PubKey)
		if err != nil {
			return PrivateKey{}, fmt.Errorf("vrf: key file %s: pub_key is not base64: %w", path, err)
		}
		if !bytes.Equal(pub, key.PubKey()) {
			return PrivateKey{}, fmt.Errorf("vrf: key file %s: pub_key does not match priv_key", path)
		}
	}
	return key, nil
}

// LoadOrGenerate loads the key at path, or generates and saves a new one when the
// file does not exist. created tells which happened.
func LoadOrGenerate(path string) (key PrivateKey, created bool, err error) {
	key, err = LoadKeyFile(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return PrivateKey{}, false, err
	}
	key, err = GenerateKey(nil)
	if err != nil {
		return PrivateKey{}, false, err
	}
	if err := SaveKeyFile(path, key); err != nil {
		return PrivateKey{}, false, err
	}
	return key, true, nil
}

// EnsureDistinctFromConsensusKey returns an error when key's public key equals the
// ed25519 consensus public key stored in a CometBFT priv_validator_key.json. Reusing
// the consensus key for the VRF is unsafe: a VRF proof and a signature over a known
// value together reveal the secret. A missing file is not an error.
func EnsureDistinctFromConsensusKey(key PrivateKey, privValidatorKeyFile string) error {
	bz, err := os.ReadFile(privValidatorKeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("vrf: read %s: %w", privValidatorKeyFile, err)
	}
	var pv struct {
		PubKey struct {
			Value string `json:"value"`
		} `json:"pub_key"`
	}
	if err := json.Unmarshal(bz, &pv); err != nil {
		return fmt.Errorf("vrf: parse %s: %w", privValidatorKeyFile, err)
	}
	consPub, err := base64.StdEncoding.DecodeString(pv.PubKey.Value)
	if err != nil {
		return nil // not an ed25519 key we can compare; nothing to protect against
	}
	if bytes.Equal(consPub, key.PubKey()) {
		return errors.New("vrf: the VRF key equals the consensus key; generate a separate VRF key")
	}
	return nil
}

// ConsensusAddressFromKeyFile returns the consensus address (the "address" field, 20
// bytes) of a CometBFT priv_validator_key.json, without reading its private key into a
// key object.
func ConsensusAddressFromKeyFile(privValidatorKeyFile string) ([]byte, error) {
	bz, err := os.ReadFile(privValidatorKeyFile)
	if err != nil {
		return nil, fmt.Errorf("vrf: read %s: %w", privValidatorKeyFile, err)
	}
	var pv struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(bz, &pv); err != nil {
		return nil, fmt.Errorf("vrf: parse %s: %w", privValidatorKeyFile, err)
	}
	addr, err := hex.DecodeString(pv.Address)
	if err != nil || len(addr) != consensusAddressSize {
		return nil, fmt.Errorf("vrf: %s: address %q is not %d hex-encoded bytes", privValidatorKeyFile, pv.Address, consensusAddressSize)
	}
	return addr, nil
}

// consensusAddressSize is the size of a CometBFT validator address.
const consensusAddressSize = 20
