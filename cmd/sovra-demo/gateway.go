package main

// The gateway: after the jobs, `make demo` starts sovra-gateway for alice (its home under
// <net>/gateway, a log and a pid file that `scripts/localnet.sh stop` uses), sends one
// chat completion through it, and prints the lines a user can paste: curl, and the
// official openai client.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sovra-network/sovra/gateway/config"
	"github.com/sovra-network/sovra/internal/localnet"
	"github.com/sovra-network/sovra/internal/proc"
)

// GatewayDir is the gateway's home inside the network's home.
const GatewayDir = "gateway"

// gatewayPort is the gateway's usual port; another free one is taken when it is busy.
const gatewayPort = 8780

// startGateway starts sovra-gateway for alice and returns its API's base URL.
func (d *demo) startGateway() (string, error) {
	home := filepath.Join(d.net.Home(), GatewayDir)
	if err := os.RemoveAll(home); err != nil { // a previous demo's ledger belongs to another chain
		return "", err
	}
	port := gatewayPort
	if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err != nil {
		ports, err := localnet.FreePorts(1)
		if err != nil {
			return "", err
		}
		port = ports[0]
	} else {
		l.Close()
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	iv := config.InitValues{
		ChainID: d.net.ChainID(), GRPC: d.net.GRPC(0), RPC: d.net.RPC(0), Key: "alice", KeyringBackend: "test",
		KeyringDir: d.net.ClientHome(), Listen: listen, MaxFee: maxFee,
	}
	if _, err := iv.WriteFile(home); err != nil {
		return "", err
	}
	logPath := filepath.Join(home, "gateway.log")
	p, err := proc.Start(d.o.gatewayBin, []string{"start", "--home", home}, proc.Options{
		Log: rel(logPath), Group: true, PIDFile: filepath.Join(home, "gateway.pid"), Name: "sovra-gateway",
	})
	if err != nil {
		return "", fmt.Errorf("start sovra-gateway: %w", err)
	}
	ready := func() bool {
		raw, _ := os.ReadFile(logPath)
		return bytes.Contains(raw, []byte("OpenAI API on"))
	}
	if err := p.WaitReady(ready, time.Now().Add(time.Minute), 100*time.Millisecond); err != nil {
		return "", err
	}
	base := "http://" + listen + "/v1"
	d.out.section(fmt.Sprintf("sovra-gateway: the OpenAI API for alice's key on %s (pid %d, log %s)", base, p.Pid(), rel(logPath)))
	return base, nil
}

// tryGateway sends one chat completion through the gateway and prints what came back.
func (d *demo) tryGateway(base string) error {
	body, _ := json.Marshal(map[string]any{
		"model": d.o.modelID, "max_tokens": d.o.maxTokens, "temperature": 0,
		"messages": []map[string]string{{"role": "user", "content": "Hello from the demo"}},
	})
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Post(base+"/chat/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("gateway answered %d: %s", resp.StatusCode, raw)
	}
	var a struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     uint64 `json:"prompt_tokens"`
			CompletionTokens uint64 `json:"completion_tokens"`
		} `json:"usage"`
		Sovra struct {
			JobID    uint64 `json:"job_id"`
			Provider string `json:"provider"`
			Fee      string `json:"fee"`
			Refund   string `json:"refund"`
		} `json:"sovra"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return fmt.Errorf("gateway answered %s: %w", raw, err)
	}
	if len(a.Choices) == 0 {
		return fmt.Errorf("gateway answered without a choice: %s", raw)
	}
	d.out.printf("  a chat completion: job %d served by %s, %d prompt + %d output tokens, fee %s (refund %s at settlement)\n",
		a.Sovra.JobID, d.name(a.Sovra.Provider), a.Usage.PromptTokens, a.Usage.CompletionTokens, a.Sovra.Fee, a.Sovra.Refund)
	d.out.printf("  answer: %s\n", printable(a.Choices[0].Message.Content))
	return nil
}

// gatewayLines prints what a user can paste to use the gateway.
func (d *demo) gatewayLines(base string) {
	d.out.printf("\nUse it from any OpenAI client (base URL %s, any API key):\n", base)
	d.out.printf("  curl -s %s/chat/completions -H 'Content-Type: application/json' -d '{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":16}'\n",
		base, d.o.modelID)
	d.out.printf("  bash scripts/openai-client.sh >/dev/null && NODE_PATH=.cache/openai-client/node_modules node -e \"new (require('openai'))({baseURL:'%s',apiKey:'-'}).chat.completions.create({model:'%s',messages:[{role:'user',content:'Hello'}],max_tokens:16,stream:true}).then(async s=>{for await (const c of s) process.stdout.write(c.choices[0]?.delta?.content||'');console.log()})\"\n",
		base, d.o.modelID)
}
