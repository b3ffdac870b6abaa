package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	providertypes "github.com/sovra-network/sovra/x/provider/types"
)

func TestVerifyModels(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.gguf")
	if err := os.WriteFile(good, []byte("model bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("model bytes"))
	registry := map[string]string{"good": hex.EncodeToString(sum[:]), "other": strings.Repeat("ab", 32)}
	lookup := func(_ context.Context, id string) (providertypes.Model, error) {
		h, ok := registry[id]
		if !ok {
			return providertypes.Model{}, errors.New("not found")
		}
		return providertypes.Model{Id: id, Sha256: h}, nil
	}
	ctx := context.Background()

	got, err := VerifyModels(ctx, map[string]string{"good": good}, []string{"good"}, lookup)
	if err != nil || got["good"].Sha256 != registry["good"] {
		t.Fatalf("good model: %v %v", got, err)
	}
	cases := []struct {
		name   string
		models map[string]string
		id     string
		want   string
	}{
		{"wrong sha256", map[string]string{"other": good}, "other", "the chain registers"},
		{"missing file", map[string]string{"good": filepath.Join(dir, "absent.gguf")}, "good", "no such file"},
		{"unregistered", map[string]string{"nope": good}, "nope", "not registered on chain"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyModels(ctx, tc.models, []string{tc.id}, lookup)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.name == "wrong sha256" && !errors.Is(err, ErrModelMismatch) {
				t.Fatalf("err = %v, want ErrModelMismatch", err)
			}
		})
	}
}
