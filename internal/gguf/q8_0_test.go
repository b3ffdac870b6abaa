package gguf

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenDefaultQ8_0SHA256 is the default model stored as q8_0; its tensor
// bytes were checked once against ggml's own quantize_row_q8_0_ref.
const goldenDefaultQ8_0SHA256 = "40d6504d5cb7b9a6bf6e1b270f91f4a5e83a40dce04fbfa56ce3fead3daf0626"

func q8Config() Config {
	c := DefaultConfig()
	c.Type = "q8_0"
	return c
}

func TestQ8_0Block(t *testing.T) {
	block := func(vals map[int]float32) []float32 {
		x := make([]float32, q8BlockElems)
		for i, v := range vals {
			x[i] = v
		}
		return x
	}
	cases := []struct {
		name  string
		x     []float32
		scale uint16
		qs    map[int]int8 // the rest are 0
	}{
		{"all zero", block(nil), 0x0000, nil},
		// amax is the negative -127/64, so d = 1/64 and every x*64 is exact;
		// ±2.5 and ±0.5 are ties, which roundf breaks away from zero.
		{"negative amax", block(map[int]float32{
			0: 100.0 / 64, 1: -127.0 / 64, 2: 2.5 / 64, 3: -2.5 / 64, 4: 0.5 / 64, 5: -0.5 / 64,
			6: 1.4 / 64, 7: -1.6 / 64, 31: 126.0 / 64, 30: float32(math.Copysign(0, -1)),
		}), 0x2400, map[int]int8{0: 100, 1: -127, 2: 3, 3: -3, 4: 1, 5: -1, 6: 1, 7: -2, 31: 126}},
		// d = 1/127 is not exact: its fp16 rounds (0x2008), the int8s do not move.
		{"unit amax", block(map[int]float32{9: 1, 10: -0.5, 11: 0.25}), 0x2008, map[int]int8{9: 127, 10: -64, 11: 32}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := appendQ8_0([]byte{0xaa}, tc.x)
			if len(b) != 1+q8BlockBytes || b[0] != 0xaa {
				t.Fatalf("appended %d bytes (prefix %#x), want %d after the prefix", len(b)-1, b[0], q8BlockBytes)
			}
			if got := binary.LittleEndian.Uint16(b[1:]); got != tc.scale {
				t.Errorf("scale %#04x, want %#04x", got, tc.scale)
			}
			for j := 0; j < q8BlockElems; j++ {
				if got := int8(b[3+j]); got != tc.qs[j] {
					t.Errorf("qs[%d] = %d, want %d (x = %v)", j, got, tc.qs[j], tc.x[j])
				}
			}
		})
	}
}

// tensorBytes returns the data of every tensor of the file at path.
func tensorBytes(t *testing.T, path string) (*File, map[string][]byte) {
	t.Helper()
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, ti := range f.Tensors {
		size, err := ti.Size()
		if err != nil {
			t.Fatal(err)
		}
		start := f.DataOffset + ti.Offset
		out[ti.Name] = raw[start : start+size]
	}
	return f, out
}

func TestQ8_0SizesAndOffsets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q8.gguf")
	if _, err := WriteFile(path, q8Config()); err != nil {
		t.Fatal(err)
	}
	f, _ := tensorBytes(t, path)
	nv := uint64(vocabSize(f.Metadata))
	for name, want := range map[string]struct {
		typ  GGMLType
		size uint64
	}{
		"token_embd.weight":      {GGMLTypeQ8_0, nv * 2 * 34}, // 64-long rows: 2 blocks of 34 bytes
		"output.weight":          {GGMLTypeQ8_0, nv * 2 * 34},
		"blk.0.attn_q.weight":    {GGMLTypeQ8_0, 64 * 2 * 34},
		"blk.0.attn_k.weight":    {GGMLTypeQ8_0, 32 * 2 * 34},
		"blk.0.ffn_up.weight":    {GGMLTypeQ8_0, 128 * 2 * 34},
		"blk.0.ffn_down.weight":  {GGMLTypeQ8_0, 64 * 4 * 34}, // 128-long rows
		"blk.0.attn_norm.weight": {GGMLTypeF32, 64 * 4},
		"output_norm.weight":     {GGMLTypeF32, 64 * 4},
	} {
		ti, ok := f.Tensor(name)
		if !ok {
			t.Fatalf("missing %s", name)
		}
		if size, err := ti.Size(); ti.Type != want.typ || size != want.size || err != nil {
			t.Errorf("%s: %s of %d bytes (%v), want %s of %d", name, ti.Type, size, err, want.typ, want.size)
		}
	}
	var off uint64
	for _, ti := range f.Tensors {
		if ti.Offset != off {
			t.Fatalf("%s at offset %d, want %d (previous end, aligned)", ti.Name, ti.Offset, off)
		}
		size, _ := ti.Size()
		off = alignUp(off+size, DefaultAlignment)
	}
	if uint64(f.Size) != f.DataOffset+off {
		t.Fatalf("file size %d, want %d + %d", f.Size, f.DataOffset, off)
	}
	if GGMLTypeQ8_0.String() != "q8_0" {
		t.Fatalf("type name %q", GGMLTypeQ8_0.String())
	}
}

func TestQ8_0Deterministic(t *testing.T) {
	a, b := writeBytes(t, q8Config()), writeBytes(t, q8Config())
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the q8_0 model differ")
	}
	if got := sha(a); got != goldenDefaultQ8_0SHA256 {
		t.Fatalf("q8_0 model sha256 = %s, want %s", got, goldenDefaultQ8_0SHA256)
	}
	seed := q8Config()
	seed.Seed = 43
	if bytes.Equal(writeBytes(t, seed), a) {
		t.Fatal("seed 43 gave the same q8_0 bytes as seed 42")
	}
}

// TestQ8_0IsTheF32ModelQuantized checks that q8_0 only changes storage:
// norms are byte-identical, and each matrix is the f32 model's matrix
// quantized block by block, within half a step (plus the fp16 scale error).
func TestQ8_0IsTheF32ModelQuantized(t *testing.T) {
	for _, cfg := range []Config{DefaultConfig(), {Dim: 96, Layers: 1, Heads: 4, KVHeads: 4, FFN: 160, Context: 64, Seed: 7}} {
		dir := t.TempDir()
		q := cfg
		q.Type = "q8_0"
		if _, err := WriteFile(filepath.Join(dir, "f32.gguf"), cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := WriteFile(filepath.Join(dir, "q8.gguf"), q); err != nil {
			t.Fatal(err)
		}
		ff, f32 := tensorBytes(t, filepath.Join(dir, "f32.gguf"))
		_, q8 := tensorBytes(t, filepath.Join(dir, "q8.gguf"))
		for _, ti := range ff.Tensors {
			x := make([]float32, ti.Elements())
			for i := range x {
				x[i] = math.Float32frombits(binary.LittleEndian.Uint32(f32[ti.Name][4*i:]))
			}
			if len(ti.Dims) == 1 {
				if !bytes.Equal(q8[ti.Name], f32[ti.Name]) {
					t.Fatalf("%s: the norm differs between f32 and q8_0", ti.Name)
				}
				continue
			}
			var want []byte
			for i := 0; i < len(x); i += q8BlockElems {
				want = appendQ8_0(want, x[i:i+q8BlockElems])
			}
			got := q8[ti.Name]
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: q8_0 data is not the f32 data quantized", ti.Name)
			}
			for blk := 0; blk < len(x)/q8BlockElems; blk++ {
				b := got[blk*q8BlockBytes:]
				d := f16ToFloat32(binary.LittleEndian.Uint16(b))
				peak := 0
				for j := 0; j < q8BlockElems; j++ {
					q := int(int8(b[2+j]))
					peak = max(peak, q, -q)
					if diff := math.Abs(float64(x[blk*q8BlockElems+j]) - float64(q)*float64(d)); diff > 0.57*float64(d) {
						t.Fatalf("%s block %d [%d]: %v dequantizes to %d*%v (off by %v)", ti.Name, blk, j, x[blk*q8BlockElems+j], q, d, diff)
					}
				}
				if peak != 127 {
					t.Fatalf("%s block %d: largest |q| is %d, want 127", ti.Name, blk, peak)
				}
			}
		}
	}
}

// f16ToFloat32 decodes a normal or zero half (all a q8_0 scale of these
// models can be).
func f16ToFloat32(h uint16) float32 {
	if h&0x7fff == 0 {
		return 0
	}
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10&0x1f) - 15 + 127
	return math.Float32frombits(sign | exp<<23 | uint32(h&0x3ff)<<13)
}

func TestQ8_0RowLengthIsValidated(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Dim = 48 }, "type q8_0 needs dim to be a multiple of 32, got 48"},
		{func(c *Config) { c.FFN = 100 }, "type q8_0 needs ffn to be a multiple of 32, got 100"},
	} {
		c := q8Config()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want %q", err, tc.want)
		}
		c.Type = "f32" // the same shape is fine unquantized
		if err := c.Validate(); err != nil {
			t.Errorf("f32: %v", err)
		}
	}
	if _, err := (TensorInfo{Name: "x", Dims: []uint64{48, 2}, Type: GGMLTypeQ8_0}).Size(); err == nil {
		t.Error("Size accepted a q8_0 row of 48")
	}
	if _, err := (TensorInfo{Name: "x", Dims: []uint64{32}, Type: GGMLType(2)}).Size(); err == nil {
		t.Error("Size accepted an unknown type")
	}
}
