package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSaveGetList(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(7); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing record: %v, want ErrNotFound", err)
	}
	if err := s.Save(Record{}); err == nil {
		t.Fatal("a record without a job id was saved")
	}
	for _, id := range []uint64{12, 3} {
		if err := s.Save(Record{JobID: id, Status: StatusBuilt, Salt: "ab", OutputTokens: []uint32{1, 2}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Save(Record{JobID: 3, Status: StatusCommitted, Salt: "ab", TxHash: "FF"}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusCommitted || r.TxHash != "FF" || r.Salt != "ab" {
		t.Fatalf("record 3 = %+v", r)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].JobID != 3 || list[1].JobID != 12 {
		t.Fatalf("list = %+v", list)
	}
	left, _ := filepath.Glob(filepath.Join(s.Dir(), ".tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestCorruptRecordIsAnError(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "5.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(5); err == nil {
		t.Fatal("a corrupt record was read")
	}
	if _, err := s.List(); err == nil {
		t.Fatal("List hid a corrupt record")
	}
}
