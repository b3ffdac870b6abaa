// Package store keeps one JSON record per job in <data_dir>/jobs/<id>.json. Each write
// goes to a temporary file that is fsync'd and renamed, and the folder is fsync'd, so a
// record that Save returned for survives a crash (the salt is needed to reveal later).
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Status of a job record.
type Status string

const (
	// StatusBuilt: inference done and the result built; not yet known to be on chain.
	StatusBuilt Status = "built"
	// StatusCommitted: a commit transaction for the job was included successfully, or the
	// chain shows the job past ASSIGNED.
	StatusCommitted Status = "committed"
	// StatusFailed: the job cannot be served (bad prompt, unknown model, deadline passed).
	StatusFailed Status = "failed"
	// StatusRevealed: a verification whose reveal was included.
	StatusRevealed Status = "revealed"
)

// Record is what the worker knows about one job.
type Record struct {
	JobID        uint64   `json:"job_id"`
	ModelID      string   `json:"model_id"`
	Status       Status   `json:"status"`
	Salt         string   `json:"salt,omitempty"`        // hex
	OutputHash   string   `json:"output_hash,omitempty"` // hex
	Commitment   string   `json:"commitment,omitempty"`  // hex
	PromptTokens []uint32 `json:"prompt_tokens,omitempty"`
	OutputTokens []uint32 `json:"output_tokens,omitempty"`
	// StopToken ended the output (tasktypes.NoStopToken when max tokens did).
	StopToken uint32 `json:"stop_token"`
	// Trace is the audit trace committed with the result, or a verification's trace.
	Trace       *verifytypes.Trace `json:"trace,omitempty"`
	Text        string             `json:"text,omitempty"`
	InferenceMs int64              `json:"inference_ms,omitempty"`
	TxHash      string             `json:"tx_hash,omitempty"`
	// SentHeight is the chain height when TxHash was last about to be broadcast; a built
	// record with a recent SentHeight is not re-sent (the transaction may be in a mempool).
	SentHeight   int64  `json:"sent_height,omitempty"`
	CommitHeight int64  `json:"commit_height,omitempty"`
	Attempts     int    `json:"attempts,omitempty"`
	Error        string `json:"error,omitempty"`
	// RevealTx is the transaction that revealed this record's output hash and salt to an
	// audit (the provider's own job, or a verification).
	RevealTx string `json:"reveal_tx,omitempty"`
	// Complaint: the verification record of an opening that did not decrypt or did not
	// match the job's commitment (the worker complains instead of committing).
	Complaint bool `json:"complaint,omitempty"`
	// Round is the audit round of a verification record.
	Round     uint32 `json:"round,omitempty"`
	UpdatedAt string `json:"updated_at"`
}

// Store is a folder of job records.
type Store struct{ dir string }

// Open creates <dataDir>/jobs when needed: the records of the jobs the worker served.
func Open(dataDir string) (*Store, error) { return openDir(dataDir, "jobs") }

// OpenVerifications creates <dataDir>/verifications when needed: the records of the audits
// the worker verified (the salt must outlive a crash between commit and reveal).
func OpenVerifications(dataDir string) (*Store, error) { return openDir(dataDir, "verifications") }

func openDir(dataDir, name string) (*Store, error) {
	dir := filepath.Join(dataDir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	return &Store{dir: dir}, nil
}

// Dir is the records folder.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(id uint64) string {
	return filepath.Join(s.dir, strconv.FormatUint(id, 10)+".json")
}

// ErrNotFound: no record for the job.
var ErrNotFound = errors.New("no record for job")

// Get returns a job's record.
func (s *Store) Get(id uint64) (Record, error) {
	raw, err := os.ReadFile(s.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return Record{}, fmt.Errorf("%w %d", ErrNotFound, id)
	}
	if err != nil {
		return Record{}, err
	}
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return Record{}, fmt.Errorf("record %s is corrupt: %w", s.path(id), err)
	}
	return r, nil
}

// Save writes the record durably (fsync of the file and of the folder).
func (s *Store) Save(r Record) error {
	if r.JobID == 0 {
		return errors.New("record has no job id")
	}
	r.UpdatedAt = time.Now().UTC().Format(time.RFC3339Nano)
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("fsync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), s.path(r.JobID)); err != nil {
		return err
	}
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", s.dir, err)
	}
	return nil
}

// List returns every record, by job id.
func (s *Store) List() ([]Record, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		id, err := strconv.ParseUint(strings.TrimSuffix(name, ".json"), 10, 64)
		if err != nil {
			continue
		}
		r, err := s.Get(id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JobID < out[j].JobID })
	return out, nil
}
