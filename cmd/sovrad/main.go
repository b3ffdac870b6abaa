// Command sovrad is the Sovra node and its command-line client.
package main

import (
	"fmt"
	"os"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/sovra-network/sovra/app"
	"github.com/sovra-network/sovra/cmd/sovrad/cmd"
)

func main() {
	if err := svrcmd.Execute(cmd.NewRootCmd(), "SOVRA", app.DefaultNodeHome); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
