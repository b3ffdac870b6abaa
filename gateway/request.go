package gateway

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/sovra-network/sovra/internal/chattemplate"
)

// Kinds of request.
const (
	kindChat       = "chat"
	kindCompletion = "completion"
)

// maxStops is OpenAI's limit on stop sequences.
const maxStops = 4

// jobRequest is an OpenAI request reduced to what a job carries. Every field maps to the
// job exactly; Stop is applied to the committed output by the gateway (see stop.go).
type jobRequest struct {
	Kind             string
	Model            string
	Messages         []chattemplate.Message // chat only
	Prompt           string                 // completions: as sent; chat: rendered by the gateway
	MaxTokens        uint64                 // 0: the gateway's default
	TemperatureMilli uint32
	TopPMilli        uint32
	TopK             uint32
	Seed             uint64
	SeedChosen       bool // the request named no seed; the gateway drew one
	Stop             []string
	Stream           bool
	IncludeUsage     bool
}

// accepted lists the parameters each kind of request may carry. Anything else is refused
// by name: the network never silently ignores what a client asked for.
var accepted = map[string]map[string]bool{
	kindChat: set("model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k",
		"seed", "stop", "stream", "stream_options", "n", "user", "presence_penalty", "frequency_penalty",
		"logprobs"),
	kindCompletion: set("model", "prompt", "max_tokens", "temperature", "top_p", "top_k", "seed", "stop",
		"stream", "stream_options", "n", "user", "presence_penalty", "frequency_penalty", "logprobs", "best_of", "echo"),
}

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// parseRequest checks an OpenAI request body of the kind and returns the job it asks for.
func parseRequest(kind string, body []byte) (jobRequest, *apiError) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return jobRequest{}, badParam("", "the body must be a JSON object: %v", err)
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !accepted[kind][k] {
			return jobRequest{}, unsupportedParam(k)
		}
	}
	r := jobRequest{Kind: kind, TemperatureMilli: 1000}
	if e := decodeString(fields, "model", &r.Model); e != nil {
		return r, e
	}
	if r.Model == "" {
		return r, badParam("model", "model is required")
	}
	if kind == kindChat {
		if e := parseMessages(fields["messages"], &r); e != nil {
			return r, e
		}
	} else if e := parsePrompt(fields["prompt"], &r); e != nil {
		return r, e
	}
	for _, p := range []struct {
		name string
		ok   func(json.RawMessage) bool
	}{
		{"n", func(v json.RawMessage) bool { return isNull(v) || string(v) == "1" }},
		{"best_of", func(v json.RawMessage) bool { return isNull(v) || string(v) == "1" }},
		{"echo", func(v json.RawMessage) bool { return isNull(v) || string(v) == "false" }},
		{"logprobs", func(v json.RawMessage) bool { return isNull(v) || string(v) == "false" || string(v) == "0" }},
		{"presence_penalty", isZero},
		{"frequency_penalty", isZero},
	} {
		if v, ok := fields[p.name]; ok && !p.ok(v) {
			return r, unsupportedParam(p.name)
		}
	}
	if e := decodeString(fields, "user", new(string)); e != nil {
		return r, e
	}
	if e := parseMaxTokens(fields, &r); e != nil {
		return r, e
	}
	if v, ok := fields["temperature"]; ok && !isNull(v) {
		milli, e := thousandths("temperature", v, 2)
		if e != nil {
			return r, e
		}
		r.TemperatureMilli = milli
	}
	if v, ok := fields["top_p"]; ok && !isNull(v) {
		milli, e := thousandths("top_p", v, 1)
		if e != nil {
			return r, e
		}
		if milli == 0 {
			return r, badParam("top_p", "top_p must be above 0")
		}
		r.TopPMilli = milli
	}
	if v, ok := fields["top_k"]; ok && !isNull(v) {
		k, e := uinteger("top_k", v, math.MaxUint32)
		if e != nil {
			return r, e
		}
		r.TopK = uint32(k)
	}
	if v, ok := fields["seed"]; ok && !isNull(v) {
		seed, e := uinteger("seed", v, math.MaxUint64)
		if e != nil {
			return r, e
		}
		r.Seed = seed
	} else {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return r, newError(500, "server_error", "", "", "draw a seed: %v", err)
		}
		r.Seed, r.SeedChosen = binary.BigEndian.Uint64(b[:]), true
	}
	if e := parseStop(fields["stop"], &r); e != nil {
		return r, e
	}
	if v, ok := fields["stream"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &r.Stream); err != nil {
			return r, badParam("stream", "stream must be true or false")
		}
	}
	if v, ok := fields["stream_options"]; ok && !isNull(v) {
		if !r.Stream {
			return r, badParam("stream_options", "stream_options is only allowed with stream: true")
		}
		var so map[string]json.RawMessage
		if err := json.Unmarshal(v, &so); err != nil {
			return r, badParam("stream_options", "stream_options must be an object")
		}
		for k, val := range so {
			if k != "include_usage" {
				return r, unsupportedParam("stream_options." + k)
			}
			if err := json.Unmarshal(val, &r.IncludeUsage); err != nil {
				return r, badParam("stream_options.include_usage", "include_usage must be true or false")
			}
		}
	}
	return r, nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func isZero(v json.RawMessage) bool {
	if isNull(v) {
		return true
	}
	var f float64
	return json.Unmarshal(v, &f) == nil && f == 0
}

func decodeString(fields map[string]json.RawMessage, name string, dst *string) *apiError {
	v, ok := fields[name]
	if !ok || isNull(v) {
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return badParam(name, "%s must be a string", name)
	}
	return nil
}

func parsePrompt(v json.RawMessage, r *jobRequest) *apiError {
	if v == nil || isNull(v) {
		return badParam("prompt", "prompt is required")
	}
	if err := json.Unmarshal(v, &r.Prompt); err == nil {
		return nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		return badParam("prompt", "prompt must be a string (token arrays are not supported)")
	}
	if len(list) != 1 {
		return badParam("prompt", "prompt must hold exactly one string, got %d: one request is one job", len(list))
	}
	r.Prompt = list[0]
	return nil
}

func parseMessages(v json.RawMessage, r *jobRequest) *apiError {
	if v == nil || isNull(v) {
		return badParam("messages", "messages is required")
	}
	var msgs []map[string]json.RawMessage
	if err := json.Unmarshal(v, &msgs); err != nil {
		return badParam("messages", "messages must be a list of {role, content} objects")
	}
	if len(msgs) == 0 {
		return badParam("messages", "messages must not be empty")
	}
	for i, m := range msgs {
		param := fmt.Sprintf("messages[%d]", i)
		for k := range m {
			switch k {
			case "role", "content", "name":
			default:
				return unsupportedParam(param + "." + k)
			}
		}
		var role string
		if err := json.Unmarshal(m["role"], &role); err != nil {
			return badParam(param+".role", "role must be a string")
		}
		switch role {
		case "system", "user", "assistant":
		case "developer":
			role = "system" // OpenAI's newer name for the system role
		default:
			return badParam(param+".role", "role %q is not supported (system, developer, user or assistant)", role)
		}
		text, e := messageText(param, m["content"])
		if e != nil {
			return e
		}
		r.Messages = append(r.Messages, chattemplate.Message{Role: role, Content: text})
	}
	return nil
}

// messageText flattens a message's content: a string, or a list of text parts.
func messageText(param string, v json.RawMessage) (string, *apiError) {
	if v == nil || isNull(v) {
		return "", badParam(param+".content", "content is required")
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(v, &parts); err != nil {
		return "", badParam(param+".content", "content must be a string or a list of text parts")
	}
	var b strings.Builder
	for j, p := range parts {
		if p.Type != "text" || p.Text == nil {
			return "", newError(400, "invalid_request_error", "unsupported_parameter", fmt.Sprintf("%s.content[%d]", param, j),
				"content part of type %q is not supported: text only", p.Type)
		}
		b.WriteString(*p.Text)
	}
	return b.String(), nil
}

func parseMaxTokens(fields map[string]json.RawMessage, r *jobRequest) *apiError {
	var got []uint64
	for _, name := range []string{"max_tokens", "max_completion_tokens"} {
		v, ok := fields[name]
		if !ok || isNull(v) {
			continue
		}
		n, e := uinteger(name, v, math.MaxUint32)
		if e != nil {
			return e
		}
		if n == 0 {
			return badParam(name, "%s must be at least 1", name)
		}
		got = append(got, n)
	}
	if len(got) == 2 && got[0] != got[1] {
		return badParam("max_completion_tokens", "max_tokens and max_completion_tokens differ")
	}
	if len(got) > 0 {
		r.MaxTokens = got[0]
	}
	return nil
}

func parseStop(v json.RawMessage, r *jobRequest) *apiError {
	if v == nil || isNull(v) {
		return nil
	}
	var one string
	if err := json.Unmarshal(v, &one); err == nil {
		r.Stop = []string{one}
	} else if err := json.Unmarshal(v, &r.Stop); err != nil {
		return badParam("stop", "stop must be a string or a list of strings")
	}
	if len(r.Stop) > maxStops {
		return badParam("stop", "at most %d stop sequences, got %d", maxStops, len(r.Stop))
	}
	for _, s := range r.Stop {
		if s == "" {
			return badParam("stop", "stop sequences must not be empty")
		}
	}
	return nil
}

// uinteger parses a non-negative JSON integer up to limit.
func uinteger(name string, v json.RawMessage, limit uint64) (uint64, *apiError) {
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, badParam(name, "%s must be an integer", name)
	}
	var u uint64
	if _, err := fmt.Sscanf(n.String(), "%d", &u); err != nil || fmt.Sprint(u) != n.String() || u > limit {
		return 0, badParam(name, "%s must be an integer from 0 to %d, got %s", name, limit, n)
	}
	return u, nil
}

// thousandths parses a number in [0, limit] that must be a whole number of thousandths:
// the chain keeps sampling parameters in fixed point, and a value it cannot hold exactly
// would not be what the client asked for.
func thousandths(name string, v json.RawMessage, limit float64) (uint32, *apiError) {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return 0, badParam(name, "%s must be a number", name)
	}
	if math.IsNaN(f) || f < 0 || f > limit {
		return 0, badParam(name, "%s must be between 0 and %g, got %v", name, limit, f)
	}
	milli := math.Round(f * 1000)
	if math.Abs(f*1000-milli) > 1e-6 {
		return 0, badParam(name, "%s %v has more than three decimals: the network runs %s in thousandths", name, f, name)
	}
	return uint32(milli), nil
}
