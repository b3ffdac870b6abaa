package types

import "fmt"

// DefaultGenesis has no jobs.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextJobId: 1}
}

// Validate checks params, that job ids are unique and below next_job_id, and that the
// assignment cursor is not past it.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.AssignCursor > gs.NextJobId {
		return fmt.Errorf("assign_cursor %d is past next_job_id %d", gs.AssignCursor, gs.NextJobId)
	}
	seen := make(map[uint64]struct{}, len(gs.Jobs))
	for _, j := range gs.Jobs {
		if j.Id == 0 || j.Id >= gs.NextJobId {
			return fmt.Errorf("job id %d must be in [1, next_job_id %d)", j.Id, gs.NextJobId)
		}
		if _, dup := seen[j.Id]; dup {
			return fmt.Errorf("duplicate job id %d", j.Id)
		}
		seen[j.Id] = struct{}{}
	}
	return nil
}
