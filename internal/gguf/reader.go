package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// File is the parsed header of a GGUF file: metadata in file order and the
// tensor infos. Tensor data is not loaded.
type File struct {
	Version    uint32
	Metadata   []KV
	Tensors    []TensorInfo
	Alignment  uint64
	DataOffset uint64 // absolute file offset of the tensor data section
	Size       int64  // file size in bytes
}

// Get returns the value of a metadata key.
func (f *File) Get(key string) (any, bool) {
	for _, kv := range f.Metadata {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// Tensor returns the info of the named tensor.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return TensorInfo{}, false
}

// limits that keep a corrupt header from allocating without bound.
const (
	maxStringLen = 1 << 24
	maxArrayLen  = 1 << 26
	maxCount     = 1 << 24
	maxDims      = 4
)

// Read parses the header (metadata and tensor infos) of the GGUF file at path.
func Read(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	f, err := Parse(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Size = st.Size()
	return f, nil
}

// Parse reads a GGUF header from r.
func Parse(r io.Reader) (*File, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 1<<16)}
	var magic [4]byte
	d.read(magic[:])
	if d.err == nil && string(magic[:]) != Magic {
		return nil, fmt.Errorf("gguf: bad magic %q", magic[:])
	}
	f := &File{Version: d.u32(), Alignment: DefaultAlignment}
	if d.err == nil && f.Version != 2 && f.Version != 3 {
		return nil, fmt.Errorf("gguf: unsupported version %d", f.Version)
	}
	nTensors, nKV := d.u64(), d.u64()
	if d.err != nil {
		return nil, d.fail("header")
	}
	if nTensors > maxCount || nKV > maxCount {
		return nil, fmt.Errorf("gguf: implausible counts (%d tensors, %d metadata keys)", nTensors, nKV)
	}
	for i := uint64(0); i < nKV; i++ {
		key := d.str()
		t := ValueType(d.u32())
		v := d.value(t)
		if d.err != nil {
			return nil, d.fail(fmt.Sprintf("metadata %d (%q)", i, key))
		}
		f.Metadata = append(f.Metadata, KV{Key: key, Value: v})
		if key == "general.alignment" {
			a, ok := v.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return nil, fmt.Errorf("gguf: general.alignment must be a power-of-two uint32, got %v", v)
			}
			f.Alignment = uint64(a)
		}
	}
	for i := uint64(0); i < nTensors; i++ {
		ti := TensorInfo{Name: d.str()}
		n := d.u32()
		if d.err == nil && (n == 0 || n > maxDims) {
			return nil, fmt.Errorf("gguf: tensor %q has %d dimensions", ti.Name, n)
		}
		for j := uint32(0); j < n && d.err == nil; j++ {
			ti.Dims = append(ti.Dims, d.u64())
		}
		ti.Type = GGMLType(d.u32())
		ti.Offset = d.u64()
		if d.err != nil {
			return nil, d.fail(fmt.Sprintf("tensor info %d", i))
		}
		f.Tensors = append(f.Tensors, ti)
	}
	f.DataOffset = alignUp(d.n, f.Alignment)
	return f, nil
}

// decoder reads little-endian GGUF primitives, remembering the first error.
type decoder struct {
	r   *bufio.Reader
	n   uint64 // bytes consumed
	err error
	buf [8]byte
}

func (d *decoder) fail(what string) error {
	if errors.Is(d.err, io.EOF) || errors.Is(d.err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("gguf: truncated file reading %s", what)
	}
	return fmt.Errorf("gguf: reading %s: %w", what, d.err)
}

func (d *decoder) read(b []byte) {
	if d.err != nil {
		return
	}
	n, err := io.ReadFull(d.r, b)
	d.n += uint64(n)
	d.err = err
}

func (d *decoder) u8() uint8   { d.read(d.buf[:1]); return d.buf[0] }
func (d *decoder) u16() uint16 { d.read(d.buf[:2]); return binary.LittleEndian.Uint16(d.buf[:2]) }
func (d *decoder) u32() uint32 { d.read(d.buf[:4]); return binary.LittleEndian.Uint32(d.buf[:4]) }
func (d *decoder) u64() uint64 { d.read(d.buf[:8]); return binary.LittleEndian.Uint64(d.buf[:8]) }

func (d *decoder) str() string {
	n := d.u64()
	if d.err != nil {
		return ""
	}
	if n > maxStringLen {
		d.err = fmt.Errorf("string length %d too large", n)
		return ""
	}
	b := make([]byte, n)
	d.read(b)
	return string(b)
}

func (d *decoder) length() int {
	n := d.u64()
	if d.err == nil && n > maxArrayLen {
		d.err = fmt.Errorf("array length %d too large", n)
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

// value reads one value of type t (arrays of scalars or strings only).
func (d *decoder) value(t ValueType) any {
	switch t {
	case TypeUint8:
		return d.u8()
	case TypeInt8:
		return int8(d.u8())
	case TypeUint16:
		return d.u16()
	case TypeInt16:
		return int16(d.u16())
	case TypeUint32:
		return d.u32()
	case TypeInt32:
		return int32(d.u32())
	case TypeFloat32:
		return math.Float32frombits(d.u32())
	case TypeBool:
		return d.u8() != 0
	case TypeString:
		return d.str()
	case TypeUint64:
		return d.u64()
	case TypeInt64:
		return int64(d.u64())
	case TypeFloat64:
		return math.Float64frombits(d.u64())
	case TypeArray:
		return d.array(ValueType(d.u32()))
	default:
		if d.err == nil {
			d.err = fmt.Errorf("unknown value type %d", t)
		}
		return nil
	}
}

func readSlice[T any](d *decoder, et ValueType) []T {
	n := d.length()
	out := make([]T, 0, min(n, 1<<16))
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.value(et).(T))
	}
	return out
}

func (d *decoder) array(et ValueType) any {
	if d.err != nil {
		return nil
	}
	switch et {
	case TypeUint8:
		return readSlice[uint8](d, et)
	case TypeInt8:
		return readSlice[int8](d, et)
	case TypeUint16:
		return readSlice[uint16](d, et)
	case TypeInt16:
		return readSlice[int16](d, et)
	case TypeUint32:
		return readSlice[uint32](d, et)
	case TypeInt32:
		return readSlice[int32](d, et)
	case TypeFloat32:
		return readSlice[float32](d, et)
	case TypeBool:
		return readSlice[bool](d, et)
	case TypeString:
		return readSlice[string](d, et)
	case TypeUint64:
		return readSlice[uint64](d, et)
	case TypeInt64:
		return readSlice[int64](d, et)
	case TypeFloat64:
		return readSlice[float64](d, et)
	default:
		d.err = fmt.Errorf("unsupported array element type %d", et)
		return nil
	}
}
