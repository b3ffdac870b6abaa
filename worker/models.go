package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
)

// ErrModelMismatch: a configured model file is not the one the chain registers.
var ErrModelMismatch = errors.New("model file does not match the chain's registry")

// FileSHA256 returns the lower-case hex sha256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open model file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read model file %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ModelLookup returns the chain's registration of a model.
type ModelLookup func(ctx context.Context, id string) (providertypes.Model, error)

// VerifyModels checks every configured model file against the chain's sha256 and returns
// the registrations, by id. The first mismatch or missing file is an error naming both.
func VerifyModels(ctx context.Context, models map[string]string, ids []string, lookup ModelLookup) (map[string]providertypes.Model, error) {
	out := make(map[string]providertypes.Model, len(ids))
	for _, id := range ids {
		path := models[id]
		reg, err := lookup(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("model %q is not registered on chain: %w", id, err)
		}
		sum, err := FileSHA256(path)
		if err != nil {
			return nil, fmt.Errorf("model %q: %w", id, err)
		}
		if !strings.EqualFold(sum, reg.Sha256) {
			return nil, fmt.Errorf("%w: model %q file %s has sha256 %s, the chain registers %s",
				ErrModelMismatch, id, path, sum, reg.Sha256)
		}
		out[id] = reg
	}
	return out, nil
}
