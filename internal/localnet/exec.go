package localnet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	"github.com/sovra-network/sovra/internal/proc"
)

// runBinary runs one short sovrad command. HOME points at the network's home, so even
// a command that forgot --home cannot write to the user's ~/.sovra.
func runBinary(ctx context.Context, binary, safeHome, stdin string, args ...string) (stdout string, err error) {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = childEnv(safeHome)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", binary, strings.Join(args, " "), err,
			tail(out.String()+errb.String(), 2000))
	}
	return out.String(), nil
}

// childEnv is the environment for sovrad: ours, with HOME moved into the network.
func childEnv(safeHome string) []string { return proc.Env("HOME=" + safeHome) }

// firstJSONObject decodes the first line of text that is a JSON object.
func firstJSONObject(text string, out any) error {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), out) == nil {
			return nil
		}
	}
	return fmt.Errorf("no JSON object in output: %s", tail(text, 500))
}

// tail is the last n bytes of s.
func tail(s string, n int) string { return proc.TailBytes(s, n) }

// forEach runs fn(0..n-1) with at most limit at a time and joins the errors.
func forEach(n, limit int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
