package inference

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sovra-network/sovra/internal/gguf"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// TestCrossVariantCalibration measures how far honest audit traces drift between two CPU
// kernel variants (x64 baseline and haswell) and how often substitutes are caught, to set
// the chain's trace tolerances. Slow (about 11 minutes on 2 cores): it runs only with
// SOVRA_CALIBRATE=1, e.g.
//
//	SOVRA_CALIBRATE=1 go test ./worker/inference/ -run TestCrossVariantCalibration -v -timeout 60m
//
// (SOVRA_CALIBRATE_QUICK=1 runs a tenth of the jobs). yzma loads one library folder per
// process, so the test re-executes its own binary: one child per variant generates the
// providers' outputs, then one child per variant re-scores every output with the real
// model of its family (the verifier), on the same variant and on the other. Honest jobs
// run on f32 and q8_0 models; substitutes (f16, q8_0, another seed, a swapped token) are
// audited against the f32 ones. Outputs and traces are written as JSON to a folder the
// test logs and keeps.
func TestCrossVariantCalibration(t *testing.T) {
	if role := os.Getenv(calibEnvRole); role != "" {
		calibChild(t, role)
		return
	}
	if os.Getenv("SOVRA_CALIBRATE") != "1" {
		t.Skip("slow calibration: set SOVRA_CALIBRATE=1 to run it")
	}
	libs := map[string]string{}
	for _, v := range calibVariants {
		libs[v] = llamaLibs(t, v)
	}
	dir, err := os.MkdirTemp("", "sovra-calibration-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("outputs and traces: %s", dir)
	models, notes := writeCalibModels(t, t.TempDir())
	for _, n := range notes {
		t.Log(n)
	}
	scale := 1
	if os.Getenv("SOVRA_CALIBRATE_QUICK") == "1" {
		scale = 10
	}
	jobs := calibJobs(models, scale)

	// providers: each variant generates its share of the jobs
	gen := map[int]calibGenerated{}
	for _, v := range calibVariants {
		var mine []calibJob
		for _, j := range jobs {
			if j.Variant == v {
				mine = append(mine, j)
			}
		}
		var out []calibGenerated
		runCalibChild(t, libs[v], "generate", filepath.Join(dir, "jobs-"+v+".json"), mine,
			filepath.Join(dir, "generated-"+v+".json"), &out)
		for _, g := range out {
			gen[g.ID] = g
		}
	}
	// verifiers: every variant re-scores every output with the real model of its family
	var rjobs []calibRescoreJob
	for _, j := range jobs {
		g, ok := gen[j.ID]
		if !ok || g.Skipped != "" {
			continue
		}
		rjobs = append(rjobs, calibRescoreJob{
			ID: j.ID, Model: models[j.Family+"/real"], Prompt: j.Prompt,
			Claimed: g.Claimed, Sampling: j.Sampling, ChallengeSeed: challengeSeed(j.ID),
		})
	}
	ver := map[string]map[int]calibRescored{}
	for _, v := range calibVariants {
		var out []calibRescored
		runCalibChild(t, libs[v], "rescore", filepath.Join(dir, "rescore-jobs.json"), rjobs,
			filepath.Join(dir, "rescored-"+v+".json"), &out)
		ver[v] = map[int]calibRescored{}
		for _, r := range out {
			ver[v][r.ID] = r
		}
	}
	t.Log(analyzeCalibration(t, jobs, gen, ver))
}

var calibVariants = []string{"x64", "haswell"}

const (
	calibEnvRole = "SOVRA_CALIB_ROLE" // child: "generate" or "rescore"
	calibEnvIn   = "SOVRA_CALIB_IN"
	calibEnvOut  = "SOVRA_CALIB_OUT"
)

// llamaLibs returns the library folder of a kernel variant, installing it if needed.
func llamaLibs(t *testing.T, variant string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "llama-libs.sh"), "--variant", variant)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/llama-libs.sh --variant %s: %v", variant, err)
	}
	return strings.TrimSpace(string(out))
}

// calibJob is one provider job. Kind "honest" runs the family's real model; "f16", "q8_0"
// and "seed" run a substitute model (the real one with other weight types or seed); "swap" is an honest output with the token at n/2
// replaced by the most likely other token.
type calibJob struct {
	ID        int
	Family    string // a key of calibFamilies
	Kind      string
	Variant   string // the provider's kernel variant
	Model     string // the provider's model file
	Prompt    string
	MaxTokens int
	Sampling  tasktypes.Sampling
}

type calibGenerated struct {
	ID         int
	Claimed    tasktypes.Claimed
	Trace      verifytypes.Trace
	GenSeconds float64
	Skipped    string `json:",omitempty"`
}

type calibRescoreJob struct {
	ID            int
	Model         string
	Prompt        string
	Claimed       tasktypes.Claimed
	Sampling      tasktypes.Sampling
	ChallengeSeed []byte
}

type calibRescored struct {
	ID           int
	PromptTokens []uint32
	Trace        verifytypes.Trace
	StopMismatch int
	Seconds      float64
}

// calibFamilies are the real models verifiers run. The f32 ones get substitutes; the q8_0
// ones only honest jobs, to measure the cross-variant noise of quantized weights.
var calibFamilies = map[string]gguf.Config{
	"demo":    gguf.DefaultConfig(),
	"5m":      calib5M,
	"demo-q8": withType(gguf.DefaultConfig(), "q8_0"),
	"5m-q8":   withType(calib5M, "q8_0"),
}

var calib5M = gguf.Config{Dim: 256, Layers: 6, Heads: 8, KVHeads: 4, FFN: 768, Context: 512, Seed: 42, Type: "f32"}

// writeCalibModels writes each family's real model and, for f32 families, its substitutes;
// it returns paths keyed "family/kind" and notes on models that cannot be written.
func writeCalibModels(t *testing.T, dir string) (map[string]string, []string) {
	t.Helper()
	paths := map[string]string{}
	var notes []string
	for fam, cfg := range calibFamilies {
		models := map[string]gguf.Config{"real": cfg}
		if cfg.Type == "f32" {
			models["f16"], models["q8_0"], models["seed"] = withType(cfg, "f16"), withType(cfg, "q8_0"), withSeed(cfg, cfg.Seed+1)
		}
		for kind, c := range models {
			if err := c.Validate(); err != nil {
				notes = append(notes, fmt.Sprintf("model %s/%s skipped: %v", fam, kind, err))
				continue
			}
			p := filepath.Join(dir, fam+"-"+kind+".gguf")
			if _, err := gguf.WriteFile(p, c); err != nil {
				t.Fatalf("write %s: %v", p, err)
			}
			paths[fam+"/"+kind] = p
		}
	}
	slices.Sort(notes)
	return paths, notes
}

func withType(c gguf.Config, typ string) gguf.Config { c.Type = typ; return c }
func withSeed(c gguf.Config, s uint64) gguf.Config   { c.Seed = s; return c }

var calibWords = strings.Fields(`the a of and to in is was that for on with as by at from his her
it an were are which this be or has had not but what all when there can more one two three
four five river mountain city market ledger token verify chain proof model compute worker
night morning quickly slowly because however, then. 7 42 1999 "quoted" (aside) — café naïve`)

// calibPrompt is a deterministic prompt of 3-30 words.
func calibPrompt(r *SplitMix64) string {
	n := 3 + int(r.Next()%28)
	w := make([]string, n)
	for i := range w {
		w[i] = calibWords[r.Next()%uint64(len(calibWords))]
	}
	return strings.Join(w, " ")
}

// calibJobs lays out the jobs: per family, honest outputs and each substitute kind, the
// provider variant alternating; about one job in four sampled at temperature 0.7-1.0.
func calibJobs(models map[string]string, scale int) []calibJob {
	counts := []struct {
		family, kind string
		n            int
	}{
		{"demo", "honest", 1000},
		{"5m", "honest", 300},
		{"demo-q8", "honest", 300},
		{"5m-q8", "honest", 200},
		{"demo", "f16", 200},
		{"demo", "q8_0", 200},
		{"demo", "seed", 200},
		{"demo", "swap", 200},
		{"5m", "f16", 100},
		{"5m", "q8_0", 100},
		{"5m", "seed", 100},
		{"5m", "swap", 100},
	}
	var jobs []calibJob
	r := NewSplitMix64(20240601)
	for _, c := range counts {
		model := models[c.family+"/"+c.kind]
		if c.kind == "honest" || c.kind == "swap" {
			model = models[c.family+"/real"]
		}
		if model == "" {
			continue
		}
		for i := range max(c.n/scale, 2) {
			j := calibJob{
				ID: len(jobs), Family: c.family, Kind: c.kind, Variant: calibVariants[i%2], Model: model,
				Prompt: calibPrompt(r), MaxTokens: 32 + int(r.Next()%97),
			}
			j.Sampling.Seed = r.Next()
			if r.Next()%4 == 0 {
				j.Sampling.TemperatureMilli = 700 + uint32(r.Next()%301)
				j.Sampling.TopK = []uint32{0, 20, 40}[r.Next()%3]
				j.Sampling.TopPMilli = []uint32{0, 900, 950}[r.Next()%3]
			}
			jobs = append(jobs, j)
		}
	}
	return jobs
}

func challengeSeed(id int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	s := sha256.Sum256(append([]byte("calibration round "), b[:]...))
	return s[:]
}

// runCalibChild runs this test binary as a child on one library folder: it reads in (the
// jobs, written here) and writes out, which is decoded into result.
func runCalibChild(t *testing.T, lib, role, in string, jobs any, out string, result any) {
	t.Helper()
	writeJSON(t, in, jobs)
	start := time.Now()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrossVariantCalibration$", "-test.timeout=0", "-test.count=1")
	cmd.Env = append(os.Environ(), calibEnvRole+"="+role, calibEnvIn+"="+in, calibEnvOut+"="+out,
		"SOVRA_LLAMA_LIB="+lib, "SOVRA_REQUIRE_LLAMA=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s child on %s: %v\n%s", role, lib, err, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, result); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	t.Logf("%s on %s: %s", role, filepath.Base(lib), time.Since(start).Round(time.Millisecond))
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// calibChild is the child process: one library folder, models opened as needed.
func calibChild(t *testing.T, role string) {
	lib := llamaLibDir(t)
	open := map[string]*Llama{}
	backend := func(path string) *Llama {
		if l, ok := open[path]; ok {
			return l
		}
		l, err := NewLlama(LlamaConfig{LibDir: lib, ModelPath: path, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		open[path] = l
		return l
	}
	ctx := context.Background()
	in, out := os.Getenv(calibEnvIn), os.Getenv(calibEnvOut)
	switch role {
	case "generate":
		var jobs []calibJob
		readJSON(t, in, &jobs)
		res := make([]calibGenerated, 0, len(jobs))
		for _, j := range jobs {
			res = append(res, calibGenerate(t, backend(j.Model), j))
		}
		writeJSON(t, out, res)
	case "rescore":
		var jobs []calibRescoreJob
		readJSON(t, in, &jobs)
		res := make([]calibRescored, 0, len(jobs))
		for _, j := range jobs {
			start := time.Now()
			r, err := backend(j.Model).Rescore(ctx, RescoreRequest{
				Prompt: j.Prompt, Claimed: j.Claimed,
				Sampling: j.Sampling, ChallengeSeed: j.ChallengeSeed,
			})
			if err != nil {
				t.Fatalf("job %d: %v", j.ID, err)
			}
			res = append(res, calibRescored{
				ID: j.ID, PromptTokens: r.PromptTokens, Trace: r.Trace,
				StopMismatch: r.StopMismatch, Seconds: time.Since(start).Seconds(),
			})
		}
		writeJSON(t, out, res)
	default:
		t.Fatalf("unknown calibration role %q", role)
	}
}

// calibGenerate runs one provider job. A swap job claims an honest output with the token
// at n/2 replaced by the most likely other token (the second-best for greedy), and commits the trace of that claim
// re-scored by its own model: the best a cheater can do without running the model twice.
func calibGenerate(t *testing.T, l *Llama, j calibJob) calibGenerated {
	s := j.Sampling
	req := Request{Prompt: j.Prompt, MaxTokens: j.MaxTokens, Seed: s.Seed, TemperatureMilli: s.TemperatureMilli, TopK: s.TopK, TopPMilli: s.TopPMilli}
	res, err := l.Generate(context.Background(), req)
	if err != nil {
		t.Fatalf("job %d: %v", j.ID, err)
	}
	g := calibGenerated{ID: j.ID, Claimed: claimedOf(res), Trace: res.Trace, GenSeconds: res.Duration.Seconds()}
	if j.Kind != "swap" {
		return g
	}
	mid := len(res.OutputTokens) / 2
	if len(res.OutputTokens) < 2 {
		g.Skipped = "output too short to swap a token"
		return g
	}
	swap, err := l.bestOther(j.Prompt, res.OutputTokens[:mid], res.OutputTokens[mid])
	if err != nil {
		t.Fatal(err)
	}
	g.Claimed.OutputTokens = slices.Clone(res.OutputTokens)
	g.Claimed.OutputTokens[mid] = swap
	rs, err := l.Rescore(context.Background(), RescoreRequest{Prompt: j.Prompt, Claimed: g.Claimed, Sampling: s})
	if err != nil {
		t.Fatalf("job %d: rescore the swapped claim: %v", j.ID, err)
	}
	g.Trace = rs.Trace
	return g
}
