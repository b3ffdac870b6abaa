package inference

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// calibExportPerKind bounds the f32 audits exported per substitute kind and for swaps;
// every honest audit is exported.
const calibExportPerKind = 300

// calibExportMaxBytes keeps the dataset small enough to sit in the repository.
const calibExportMaxBytes = 2_000_000

// calibExport is x/verify/keeper/testdata/calibration.json.gz, which
// TestRealTracesThroughTheChain (x/verify/keeper) replays through the chain. Keep the two
// definitions in step.
type calibExport struct {
	Source string             `json:"source"`
	Audits []calibExportAudit `json:"audits"`
}

// calibExportAudit is one audit: the provider's committed trace and the trace of one
// verifier on the other kernel variant.
type calibExportAudit struct {
	ID              int                `json:"id"`    // the calibration job
	Class           string             `json:"class"` // the real model's weights: f32 | q8_0
	Family          string             `json:"family"`
	Kind            string             `json:"kind"` // honest | f16 | q8_0 | seed | swap
	ProviderVariant string             `json:"provider_variant"`
	VerifierVariant string             `json:"verifier_variant"`
	Sampling        tasktypes.Sampling `json:"sampling"`
	OutputTokens    int                `json:"output_tokens"`
	MaxTokens       int                `json:"max_tokens"`
	Provider        verifytypes.Trace  `json:"provider"` // chosen, top (and lo, hi when sampled)
	// Verifier is the verifier's trace as its difference from the provider's, value by
	// value (mostly 0: it compresses to a fraction). Its challenge values are left out:
	// the chain compares them only between two verifiers of one round.
	Verifier calibTraceDelta `json:"verifier_minus_provider"`
}

type calibTraceDelta struct {
	Chosen []int32 `json:"chosen"`
	Top    []int32 `json:"top"`
	Lo     []int64 `json:"lo,omitempty"`
	Hi     []int64 `json:"hi,omitempty"`
}

// TestExportCalibration writes, from the folder of a finished TestCrossVariantCalibration
// run, the dataset x/verify/keeper's TestRealTracesThroughTheChain replays:
//
//	SOVRA_CALIBRATE_EXPORT=/tmp/sovra-calibration-NNN go test ./worker/inference/ -run TestExportCalibration -v
//
// Every honest audit (f32 and q8_0 families) and, of the f32 families, up to
// calibExportPerKind audits of each substitute kind and of swaps, in job id order; the
// verifier of each audit is the one on the other variant than the provider.
func TestExportCalibration(t *testing.T) {
	dir := os.Getenv("SOVRA_CALIBRATE_EXPORT")
	if dir == "" {
		t.Skip("set SOVRA_CALIBRATE_EXPORT to the folder of a calibration run")
	}
	var jobs []calibJob
	gen := map[int]calibGenerated{}
	ver := map[string]map[int]calibRescored{}
	for _, v := range calibVariants {
		var js []calibJob
		readJSON(t, filepath.Join(dir, "jobs-"+v+".json"), &js)
		jobs = append(jobs, js...)
		var gs []calibGenerated
		readJSON(t, filepath.Join(dir, "generated-"+v+".json"), &gs)
		for _, g := range gs {
			gen[g.ID] = g
		}
		var rs []calibRescored
		readJSON(t, filepath.Join(dir, "rescored-"+v+".json"), &rs)
		ver[v] = map[int]calibRescored{}
		for _, r := range rs {
			ver[v][r.ID] = r
		}
	}
	slices.SortFunc(jobs, func(a, b calibJob) int { return a.ID - b.ID })
	audits, skipped, _ := collectAudits(t, jobs, gen, ver)

	out := calibExport{Source: "TestCrossVariantCalibration (worker/inference), exported by TestExportCalibration"}
	counts := map[string]int{}
	for _, a := range audits {
		j := a.job
		class := calibFamilies[j.Family].Type
		key := class + " " + j.Kind
		if j.Kind != "honest" && (class != "f32" || counts[key] >= calibExportPerKind) {
			continue
		}
		counts[key]++
		c := gen[j.ID].Claimed
		n := c.Positions()
		if n != len(c.OutputTokens)+1 && !(n == len(c.OutputTokens) && n == j.MaxTokens) {
			t.Fatalf("job %d: %d positions for %d output tokens (max %d)", j.ID, n, len(c.OutputTokens), j.MaxTokens)
		}
		other := calibVariants[0]
		if j.Variant == other {
			other = calibVariants[1]
		}
		d := calibTraceDelta{Chosen: make([]int32, n), Top: make([]int32, n)}
		for i := range n {
			d.Chosen[i] = a.cross.Chosen[i] - a.prov.Chosen[i]
			d.Top[i] = a.cross.Top[i] - a.prov.Top[i]
		}
		for i := range a.prov.Lo {
			d.Lo = append(d.Lo, int64(a.cross.Lo[i])-int64(a.prov.Lo[i]))
			d.Hi = append(d.Hi, int64(a.cross.Hi[i])-int64(a.prov.Hi[i]))
		}
		out.Audits = append(out.Audits, calibExportAudit{
			ID: j.ID, Class: class, Family: j.Family, Kind: j.Kind,
			ProviderVariant: j.Variant, VerifierVariant: other, Sampling: j.Sampling,
			OutputTokens: len(c.OutputTokens), MaxTokens: j.MaxTokens, Provider: a.prov, Verifier: d,
		})
	}
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression) // no name or time: deterministic
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > calibExportMaxBytes {
		t.Fatalf("dataset is %d bytes gzipped, more than %d", buf.Len(), calibExportMaxBytes)
	}
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "x", "verify", "keeper", "testdata", "calibration.json.gz")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Logf("%-12s %d audits", k, counts[k])
	}
	t.Logf("%d of %d audits (%d skipped by the run), %d bytes of JSON, %d gzipped: %s", len(out.Audits), len(audits), skipped, len(raw), buf.Len(), path)
}
