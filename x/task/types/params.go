package types

import "fmt"

// DefaultParams follow DESIGN.md: 8 KiB prompts, 32 KiB sealed outputs, 50-block deadlines.
func DefaultParams() Params {
	return Params{
		MaxPromptBytes:        8 * 1024,
		MaxSealedOutputBytes:  32 * 1024,
		DefaultDeadlineBlocks: 50,
		MaxDeadlineBlocks:     1000,
		DecisionWindow:        5,
		RetentionBlocks:       10000,
		MaxResultsPerCommit:   64,
		MaxAssignAttempts:     8,
		MaxOutputTokens:       2048,
	}
}

// Validate checks every field; the bounds keep per-block work and payloads finite.
func (p Params) Validate() error {
	switch {
	case p.MaxPromptBytes == 0 || p.MaxPromptBytes > 1<<20:
		return fmt.Errorf("max_prompt_bytes must be in [1, 1048576], got %d", p.MaxPromptBytes)
	case p.MaxSealedOutputBytes == 0 || p.MaxSealedOutputBytes > 4<<20:
		return fmt.Errorf("max_sealed_output_bytes must be in [1, 4194304], got %d", p.MaxSealedOutputBytes)
	case p.DefaultDeadlineBlocks == 0:
		return fmt.Errorf("default_deadline_blocks must be positive")
	case p.MaxDeadlineBlocks < p.DefaultDeadlineBlocks:
		return fmt.Errorf("max_deadline_blocks (%d) must be >= default_deadline_blocks (%d)", p.MaxDeadlineBlocks, p.DefaultDeadlineBlocks)
	case p.DecisionWindow == 0 || p.DecisionWindow > 1000:
		return fmt.Errorf("decision_window must be in [1, 1000], got %d", p.DecisionWindow)
	case p.RetentionBlocks == 0:
		return fmt.Errorf("retention_blocks must be positive")
	case p.MaxResultsPerCommit == 0 || p.MaxResultsPerCommit > 1024:
		return fmt.Errorf("max_results_per_commit must be in [1, 1024], got %d", p.MaxResultsPerCommit)
	case p.MaxAssignAttempts == 0 || p.MaxAssignAttempts > 64:
		return fmt.Errorf("max_assign_attempts must be in [1, 64], got %d", p.MaxAssignAttempts)
	case p.MaxOutputTokens == 0 || p.MaxOutputTokens > 1<<16:
		return fmt.Errorf("max_output_tokens must be in [1, 65536], got %d", p.MaxOutputTokens)
	}
	return nil
}
