package localnet

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
)

// Port offsets inside each validator's block of PortStride ports.
const (
	PortStride   = 10
	offsetRPC    = 0
	offsetP2P    = 1
	offsetGRPC   = 2
	offsetAPI    = 3
	offsetABCI   = 4 // proxy_app; unused by an in-process app but kept distinct
	portsPerNode = 5
)

// Ports are one validator's loopback ports.
type Ports struct {
	RPC  int `json:"rpc"`
	P2P  int `json:"p2p"`
	GRPC int `json:"grpc"`
	API  int `json:"api"`
	ABCI int `json:"abci"`
}

// PortsFor returns validator i's ports for a base port.
func PortsFor(base, i int) Ports {
	b := base + PortStride*i
	return Ports{RPC: b + offsetRPC, P2P: b + offsetP2P, GRPC: b + offsetGRPC, API: b + offsetAPI, ABCI: b + offsetABCI}
}

var (
	reservedMu sync.Mutex
	reserved   = map[int]bool{} // bases handed out in this process
)

// FreeBasePort finds a base port whose blocks for n validators are all free on
// 127.0.0.1. Bases handed out earlier in this process are never reused, so parallel
// tests do not collide; a random start makes collisions between processes unlikely.
func FreeBasePort(n int) (int, error) {
	const lo, hi = 20000, 60000
	span := PortStride * n
	reservedMu.Lock()
	defer reservedMu.Unlock()
	slots := (hi - lo) / span
	first := rand.IntN(slots)
	for tries := 0; tries < 200 && tries < slots; tries++ {
		base := lo + ((first+tries)%slots)*span
		if reserved[base] || !portsFree(base, n) {
			continue
		}
		reserved[base] = true
		return base, nil
	}
	return 0, fmt.Errorf("no free block of %d ports found on 127.0.0.1", span)
}

func portsFree(base, n int) bool {
	for i := 0; i < n; i++ {
		for off := 0; off < portsPerNode; off++ {
			if !portFree(base + PortStride*i + off) {
				return false
			}
		}
	}
	return true
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// FreePorts returns n distinct loopback ports that were free a moment ago (each is held
// open until all are found, so none repeats).
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
