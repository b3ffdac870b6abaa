package abci

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"cosmossdk.io/log/v2"

	"github.com/sovra-network/sovra/x/beacon/vrf"
)

// KeySource gives the proposal handler this node's VRF key when it needs it. The key is
// node-local (never part of consensus): it only decides whether this node's own
// proposals carry a proof.
type KeySource interface {
	// Key returns the node's current VRF key, nil when it has none.
	Key() *vrf.PrivateKey
}

// StaticKey is a KeySource with a fixed key (nil or zero: none), for tests and for
// nodes that load their key once.
func StaticKey(key *vrf.PrivateKey) KeySource {
	if key != nil && key.IsZero() {
		key = nil
	}
	return staticKey{key: key}
}

type staticKey struct{ key *vrf.PrivateKey }

func (s staticKey) Key() *vrf.PrivateKey { return s.key }

// FileKeySource is the node's VRF key file (<home>/config/vrf_key.json), read again
// whenever it appears or changes, so a key created with `sovrad vrf init` after the node
// started is used at its next proposal without a restart. Each call stats the file (a
// few microseconds, once per proposal); the file is read only when its identity, size
// or modification time changed. A file that cannot be used (unreadable, malformed, or
// equal to the consensus key, which must never serve as the VRF key) is refused with an
// error in the log, and the last good key stays in use; so does a removed file. Every
// change is logged once.
type FileKeySource struct {
	logger           log.Logger
	path             string
	consensusKeyFile string

	mu      sync.Mutex
	seen    fs.FileInfo // the file as last examined; nil: absent (or never looked)
	looked  bool
	key     *vrf.PrivateKey
	lastErr error // why the file as last examined was refused (nil: loaded or absent)
}

// NewFileKeySource watches path. consensusKeyFile is the node's priv_validator_key.json,
// whose key a VRF key file must not hold ("" skips that check).
func NewFileKeySource(logger log.Logger, path, consensusKeyFile string) *FileKeySource {
	return &FileKeySource{logger: logger, path: path, consensusKeyFile: consensusKeyFile}
}

// Path is the watched key file.
func (s *FileKeySource) Path() string { return s.path }

// Key stats the file, reloads it when it appeared or changed, and returns the current
// key (nil when no good key was ever loaded).
func (s *FileKeySource) Key() *vrf.PrivateKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshLocked()
	return s.key
}

// FileError is why the key file, as last examined, is not in use (nil when it is, or
// when there is no file).
func (s *FileKeySource) FileError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshLocked()
	return s.lastErr
}

func (s *FileKeySource) refreshLocked() {
	fi, err := os.Stat(s.path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			// Permission or I/O trouble: keep what we have; report it once.
			if s.lastErr == nil || s.lastErr.Error() != err.Error() {
				s.logger.Error("beacon: cannot stat the VRF key file; keeping the key in use", "path", s.path, "err", err, "has_key", s.key != nil)
			}
			s.lastErr = err
			return
		}
		if s.seen != nil || !s.looked {
			if s.key != nil {
				s.logger.Error("beacon: the VRF key file is gone; keeping the key loaded before (restore the file)", "path", s.path)
			} else {
				s.logger.Info("beacon: no VRF key file; this node's proposals carry weak beacons until one is created with `sovrad vrf init` (no restart needed)", "path", s.path)
			}
		}
		s.seen, s.looked, s.lastErr = nil, true, nil
		return
	}
	if s.seen != nil && os.SameFile(s.seen, fi) && s.seen.ModTime().Equal(fi.ModTime()) && s.seen.Size() == fi.Size() {
		return
	}
	s.seen, s.looked = fi, true
	key, err := s.load()
	if err != nil {
		s.lastErr = err
		s.logger.Error("beacon: refusing the VRF key file; keeping the key in use", "path", s.path, "err", err, "has_key", s.key != nil)
		return
	}
	s.lastErr = nil
	if s.key != nil && string(s.key.PubKey()) == string(key.PubKey()) {
		return // rewritten with the same key
	}
	s.logger.Info("beacon: loaded the VRF key file", "path", s.path, "pub_key", fmt.Sprintf("%X", key.PubKey()), "replaced", s.key != nil)
	s.key = &key
}

func (s *FileKeySource) load() (vrf.PrivateKey, error) {
	key, err := vrf.LoadKeyFile(s.path)
	if err != nil {
		return vrf.PrivateKey{}, err
	}
	if key.IsZero() {
		return vrf.PrivateKey{}, errors.New("vrf: the key file holds an empty key")
	}
	if s.consensusKeyFile != "" {
		if err := vrf.EnsureDistinctFromConsensusKey(key, s.consensusKeyFile); err != nil {
			return vrf.PrivateKey{}, err
		}
	}
	return key, nil
}
