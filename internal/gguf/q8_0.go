package gguf

import (
	"encoding/binary"
	"math"
)

// Q8_0 (ggml block_q8_0): 32 int8 values sharing one fp16 scale.
const (
	q8BlockElems = 32
	q8BlockBytes = 2 + q8BlockElems
)

// appendQ8_0 appends one quantized block of x (len q8BlockElems) to b,
// exactly as ggml's quantize_row_q8_0_ref does, so the bytes match what
// llama-quantize would write from the same f32 values. The explicit
// float32 conversions keep Go from fusing the float32 steps.
func appendQ8_0(b []byte, x []float32) []byte {
	var amax float32
	for _, v := range x {
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	d := float32(amax / 127)
	var id float32
	if d != 0 {
		id = float32(1 / d)
	}
	b = binary.LittleEndian.AppendUint16(b, float32ToF16(d))
	for _, v := range x {
		// |v*id| <= 127 up to rounding, so it fits an int8; math.Round is
		// roundf (half away from zero).
		b = append(b, byte(int8(math.Round(float64(float32(v*id))))))
	}
	return b
}
