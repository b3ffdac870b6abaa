package types

import (
	"fmt"

	"github.com/sovra-network/sovra/internal/chattemplate"
)

// ValidateModelID checks a model id: 1–64 characters of [a-z0-9._-].
func ValidateModelID(id string) error {
	if len(id) == 0 || len(id) > MaxModelIDLen {
		return fmt.Errorf("model id must be 1-%d characters, got %d", MaxModelIDLen, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("model id %q: character %q not in [a-z0-9._-]", id, c)
		}
	}
	return nil
}

// ValidateSha256Hex checks a lower-case hex sha256 (64 characters).
func ValidateSha256Hex(s string) error {
	if len(s) != 64 {
		return fmt.Errorf("sha256 must be 64 lower-case hex characters, got %d characters", len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("sha256 must be lower-case hex, found %q", c)
		}
	}
	return nil
}

// Validate checks a model's fields.
func (m Model) Validate() error {
	if err := ValidateModelID(m.Id); err != nil {
		return ErrInvalidModel.Wrap(err.Error())
	}
	if err := ValidateSha256Hex(m.Sha256); err != nil {
		return ErrInvalidModel.Wrapf("model %s: %s", m.Id, err)
	}
	if m.ContextLength == 0 {
		return ErrInvalidModel.Wrapf("model %s: context_length must be > 0", m.Id)
	}
	if len(m.Tokenizer) > MaxTokenizerLen {
		return ErrInvalidModel.Wrapf("model %s: tokenizer longer than %d characters", m.Id, MaxTokenizerLen)
	}
	// A chat format the gateway can render (empty: none). The set of names is part of
	// the state machine: a new name reaches the chain in an upgrade.
	if m.ChatTemplate != "" {
		if err := chattemplate.Validate(m.ChatTemplate); err != nil {
			return ErrInvalidModel.Wrapf("model %s: chat_template: %s", m.Id, err)
		}
	}
	// The same bounds as x/verify's params (0: use the param).
	for _, t := range []struct {
		name string
		v    uint32
		max  uint32
	}{
		{"logprob_tolerance", m.LogprobTolerance, 1 << 16},
		{"margin_tolerance", m.MarginTolerance, 1 << 16},
		{"mean_logprob_tolerance_milli", m.MeanLogprobToleranceMilli, 1 << 26},
		{"interval_tolerance", m.IntervalTolerance, 1 << 31},
	} {
		if t.v > t.max {
			return ErrInvalidModel.Wrapf("model %s: %s must be at most %d, got %d", m.Id, t.name, t.max, t.v)
		}
	}
	return nil
}

// ValidateModelList checks the model list of a provider without looking at state:
// non-empty, valid ids, no duplicates.
func ValidateModelList(models []string) error {
	if len(models) == 0 {
		return ErrInvalidModel.Wrap("a provider must serve at least one model")
	}
	seen := make(map[string]struct{}, len(models))
	for _, id := range models {
		if err := ValidateModelID(id); err != nil {
			return ErrInvalidModel.Wrap(err.Error())
		}
		if _, dup := seen[id]; dup {
			return ErrInvalidModel.Wrapf("duplicate model %s", id)
		}
		seen[id] = struct{}{}
	}
	return nil
}
