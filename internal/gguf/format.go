// Package gguf writes small, deterministic llama-architecture GGUF v3 files
// (random weights from a fixed seed) and reads GGUF metadata back. The files
// exist so tests and demos can run real llama.cpp inference without
// downloading a model; the chain knows a model by the sha256 of its file, so
// the writer must produce identical bytes for an identical Config.
package gguf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Magic is the first four bytes of every GGUF file ("GGUF").
const Magic = "GGUF"

// Version is the GGUF version this package writes.
const Version = 3

// DefaultAlignment is the tensor data alignment when general.alignment is absent.
const DefaultAlignment = 32

// ValueType is a GGUF metadata value type.
type ValueType uint32

// GGUF metadata value types (gguf.h).
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

// GGMLType is a tensor element type.
type GGMLType uint32

// The tensor types this package writes.
const (
	GGMLTypeF32  GGMLType = 0
	GGMLTypeF16  GGMLType = 1
	GGMLTypeQ8_0 GGMLType = 8
)

func (t GGMLType) String() string {
	switch t {
	case GGMLTypeF32:
		return "f32"
	case GGMLTypeF16:
		return "f16"
	case GGMLTypeQ8_0:
		return "q8_0"
	default:
		return fmt.Sprintf("ggml_type(%d)", uint32(t))
	}
}

// blockSize is how many elements one block of t holds and its byte size
// (only the types written here); scalar types are blocks of one element.
func (t GGMLType) blockSize() (elems, bytes uint64, err error) {
	switch t {
	case GGMLTypeF32:
		return 1, 4, nil
	case GGMLTypeF16:
		return 1, 2, nil
	case GGMLTypeQ8_0:
		return q8BlockElems, q8BlockBytes, nil
	default:
		return 0, 0, fmt.Errorf("gguf: unsupported tensor type %s", t)
	}
}

// KV is one metadata entry. Value holds a Go value of the matching type:
// uint8, int8, uint16, int16, uint32, int32, float32, bool, string, uint64,
// int64, float64, or a slice of one of those for a GGUF array.
type KV struct {
	Key   string
	Value any
}

// TensorInfo describes one tensor. Dims is in ggml order: Dims[0] is the
// fastest-moving dimension. Offset is relative to the start of the data section.
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   GGMLType
	Offset uint64
}

// Elements is the number of elements of the tensor.
func (t TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Size is the byte size of the tensor's data. Blocks run along Dims[0], so
// a block type needs Dims[0] to be a multiple of its block length.
func (t TensorInfo) Size() (uint64, error) {
	be, bb, err := t.Type.blockSize()
	if err != nil {
		return 0, err
	}
	if len(t.Dims) == 0 {
		return 0, fmt.Errorf("gguf: tensor %q has no dimensions", t.Name)
	}
	if t.Dims[0]%be != 0 {
		return 0, fmt.Errorf("gguf: tensor %q: row length %d is not a multiple of the %s block length %d", t.Name, t.Dims[0], t.Type, be)
	}
	return t.Elements() / be * bb, nil
}

// valueType maps a Go value to its GGUF type; for slices it returns
// TypeArray and the element type.
func valueType(v any) (ValueType, ValueType, error) {
	switch v.(type) {
	case uint8:
		return TypeUint8, 0, nil
	case int8:
		return TypeInt8, 0, nil
	case uint16:
		return TypeUint16, 0, nil
	case int16:
		return TypeInt16, 0, nil
	case uint32:
		return TypeUint32, 0, nil
	case int32:
		return TypeInt32, 0, nil
	case float32:
		return TypeFloat32, 0, nil
	case bool:
		return TypeBool, 0, nil
	case string:
		return TypeString, 0, nil
	case uint64:
		return TypeUint64, 0, nil
	case int64:
		return TypeInt64, 0, nil
	case float64:
		return TypeFloat64, 0, nil
	case []uint8:
		return TypeArray, TypeUint8, nil
	case []int8:
		return TypeArray, TypeInt8, nil
	case []uint16:
		return TypeArray, TypeUint16, nil
	case []int16:
		return TypeArray, TypeInt16, nil
	case []uint32:
		return TypeArray, TypeUint32, nil
	case []int32:
		return TypeArray, TypeInt32, nil
	case []float32:
		return TypeArray, TypeFloat32, nil
	case []bool:
		return TypeArray, TypeBool, nil
	case []string:
		return TypeArray, TypeString, nil
	case []uint64:
		return TypeArray, TypeUint64, nil
	case []int64:
		return TypeArray, TypeInt64, nil
	case []float64:
		return TypeArray, TypeFloat64, nil
	default:
		return 0, 0, fmt.Errorf("gguf: unsupported metadata value type %T", v)
	}
}

// encoder appends little-endian GGUF primitives to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) kv(kv KV) error {
	t, et, err := valueType(kv.Value)
	if err != nil {
		return fmt.Errorf("%w (key %q)", err, kv.Key)
	}
	e.str(kv.Key)
	e.u32(uint32(t))
	if t == TypeArray {
		e.u32(uint32(et))
	}
	e.value(kv.Value)
	return nil
}

func (e *encoder) value(v any) {
	le := binary.LittleEndian
	switch x := v.(type) {
	case uint8:
		e.b = append(e.b, x)
	case int8:
		e.b = append(e.b, byte(x))
	case uint16:
		e.b = le.AppendUint16(e.b, x)
	case int16:
		e.b = le.AppendUint16(e.b, uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		if x {
			e.b = append(e.b, 1)
		} else {
			e.b = append(e.b, 0)
		}
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case []uint8:
		e.u64(uint64(len(x)))
		e.b = append(e.b, x...)
	case []int8:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	case []uint16:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	case []int16:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	case []uint32:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	case []int32:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	case []float32:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	case []bool:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	case []string:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	case []uint64:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	case []int64:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	case []float64:
		e.u64(uint64(len(x)))
		for _, y := range x {
			e.value(y)
		}
	}
}

// alignUp rounds n up to a multiple of align.
func alignUp(n, align uint64) uint64 {
	return (n + align - 1) / align * align
}

// writePadding writes n zero bytes.
func writePadding(w io.Writer, n uint64) error {
	if n == 0 {
		return nil
	}
	_, err := w.Write(make([]byte, n))
	return err
}
