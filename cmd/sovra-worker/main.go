// Command sovra-worker is the Sovra worker sidecar a compute provider runs beside its
// node: `sovra-worker init --home DIR`, `sovra-worker start --home DIR`,
// `sovra-worker status --home DIR`.
package main

import (
	"fmt"
	"os"

	"github.com/sovra-network/sovra/cmd/sovra-worker/cmd"
)

func main() {
	if err := cmd.NewRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
