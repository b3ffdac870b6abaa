// Package chattemplate renders OpenAI-style chat messages into one prompt string by the
// rules of llama.cpp's llama_chat_apply_template (src/llama-chat.cpp of the release the
// project's libraries are built from, .llama/src: llm_chat_apply_template and
// llm_chat_detect_template). It is pure Go: the gateway renders a chat with it, the job
// carries the rendered prompt, and providers and verifiers run exactly that text, so no
// template engine runs on the chain or in a worker.
//
// llama.cpp does not interpret Jinja: it recognises a model's tokenizer.chat_template by
// substrings and then applies one of its built-in formats, each known by a name
// ("chatml", "llama3", …). Names lists those formats, Detect is llama.cpp's recognition,
// and Apply is its rendering, byte for byte (the tests compare both with the library).
//
// Where llama.cpp would silently drop or misfile a message (a system message in a format
// without one, a tool message in a format that renders unknown roles as the assistant),
// Apply returns an error instead: whatever Apply returns is what llama.cpp renders, and
// it never returns a prompt that lost part of the conversation.
//
// The set of names is part of the chain's state machine: x/provider accepts a model's
// chat_template only when Known says so, so adding or removing a name changes which
// transactions are valid and ships in a chain upgrade.
package chattemplate

import (
	"errors"
	"fmt"
	"strings"
)

// Message is one chat turn.
type Message struct {
	Role    string
	Content string
}

var (
	// ErrUnknownTemplate: the name is not one of Names.
	ErrUnknownTemplate = errors.New("unknown chat template")
	// ErrNoMessages: a chat needs at least one message.
	ErrNoMessages = errors.New("no messages")
	// ErrRole: the format cannot express a message's role, or its place in the chat
	// (llama.cpp would drop the message or render it as another role).
	ErrRole = errors.New("role not expressible in this chat template")
	// ErrNUL: a role or content holds a NUL byte, where llama.cpp's C strings end.
	ErrNUL = errors.New("NUL byte in a message")
)

// Names returns the names of the supported formats, sorted: llama.cpp's built-in
// template names (llama_chat_builtin_templates) and "dots1", a format llama.cpp only
// reaches by detection (it has no name for it there).
func Names() []string {
	out := make([]string, len(byName))
	for i, f := range byName {
		out[i] = f.name
	}
	return out
}

// Known reports whether name is one of Names.
func Known(name string) bool {
	_, ok := lookup(name)
	return ok
}

// Validate returns nil for a name in Names and an error that lists them otherwise.
func Validate(name string) error {
	if Known(name) {
		return nil
	}
	return fmt.Errorf("%w %q: one of %s", ErrUnknownTemplate, name, strings.Join(Names(), ", "))
}

// Apply renders msgs in the named format, ending with the assistant's turn prefix when
// addAssistant is set and the format has one (llama.cpp's add_ass; several formats ignore
// it, as llama.cpp does). The result equals llama_chat_apply_template's for the same
// name and messages.
func Apply(name string, msgs []Message, addAssistant bool) (string, error) {
	f, ok := lookup(name)
	if !ok {
		return "", Validate(name)
	}
	if len(msgs) == 0 {
		return "", ErrNoMessages
	}
	for i, m := range msgs {
		if strings.IndexByte(m.Role, 0) >= 0 || strings.IndexByte(m.Content, 0) >= 0 {
			return "", fmt.Errorf("%w: message %d", ErrNUL, i)
		}
		if m.Role == "" {
			return "", fmt.Errorf("%w: message %d has no role", ErrRole, i)
		}
		if !f.roles.accepts(m.Role) {
			return "", fmt.Errorf("%w: message %d has role %q; %s accepts %s", ErrRole, i, m.Role, f.name, f.roles)
		}
	}
	return render(f.id, msgs, addAssistant)
}

// roleSet is the roles a format renders as themselves; anyRole marks the formats that
// write the role's name into the prompt, which express every role.
type roleSet uint8

const (
	roleSystem roleSet = 1 << iota
	roleUser
	roleAssistant
	roleTool
	roleFunction
	anyRole

	sua = roleSystem | roleUser | roleAssistant
)

var roleBits = []struct {
	name string
	bit  roleSet
}{
	{"system", roleSystem}, {"user", roleUser}, {"assistant", roleAssistant}, {"tool", roleTool}, {"function", roleFunction},
}

func (s roleSet) accepts(role string) bool {
	if s&anyRole != 0 {
		return true
	}
	for _, r := range roleBits {
		if r.name == role {
			return s&r.bit != 0
		}
	}
	return false
}

func (s roleSet) String() string {
	if s&anyRole != 0 {
		return "any role"
	}
	var names []string
	for _, r := range roleBits {
		if s&r.bit != 0 {
			names = append(names, r.name)
		}
	}
	return strings.Join(names, ", ")
}

// tmpl is llama.cpp's llm_chat_template, in its order.
type tmpl int

const (
	tChatML tmpl = iota
	tLlama2
	tLlama2Sys
	tLlama2SysBOS
	tLlama2SysStrip
	tMistralV1
	tMistralV3
	tMistralV3Tekken
	tMistralV7
	tMistralV7Tekken
	tPhi3
	tPhi4
	tFalcon3
	tZephyr
	tMonarch
	tGemma
	tOrion
	tOpenchat
	tVicuna
	tVicunaOrca
	tDeepseek
	tDeepseek2
	tDeepseek3
	tDeepseekOCR
	tCommandR
	tLlama3
	tChatGLM3
	tChatGLM4
	tGLMEdge
	tMiniCPM
	tExaone3
	tExaone4
	tExaoneMoE
	tRWKVWorld
	tGranite3x
	tGranite40
	tGranite41
	tGigachat
	tMegrez
	tYandex
	tBailing
	tBailingThink
	tBailing2
	tLlama4
	tSmolVLM
	tDots1
	tHunyuanMoE
	tOpenAIMoE
	tHunyuanDense
	tHunyuanVL
	tKimiK2
	tSeedOSS
	tGrok2
	tPanguEmbed
	tSolarOpen
)

type format struct {
	name  string
	id    tmpl
	roles roleSet
}

// byName is the formats sorted by name (byte order, as llama.cpp's std::map lists them).
// A name is llama.cpp's (LLM_CHAT_TEMPLATES) except "dots1", which llama.cpp has none for.
var byName = []format{
	{"bailing", tBailing, anyRole},
	{"bailing-think", tBailingThink, anyRole},
	{"bailing2", tBailing2, anyRole},
	{"chatglm3", tChatGLM3, anyRole},
	{"chatglm4", tChatGLM4, anyRole},
	{"chatml", tChatML, anyRole},
	{"command-r", tCommandR, sua},
	{"deepseek", tDeepseek, sua},
	{"deepseek-ocr", tDeepseekOCR, roleUser}, // renders contents only: no role can be told apart
	{"deepseek2", tDeepseek2, sua},
	{"deepseek3", tDeepseek3, sua},
	{"dots1", tDots1, sua},
	{"exaone-moe", tExaoneMoE, sua | roleTool},
	{"exaone3", tExaone3, sua},
	{"exaone4", tExaone4, sua | roleTool},
	{"falcon3", tFalcon3, anyRole},
	{"gemma", tGemma, anyRole},
	{"gigachat", tGigachat, sua},
	{"glmedge", tGLMEdge, anyRole},
	{"gpt-oss", tOpenAIMoE, anyRole},
	{"granite", tGranite3x, anyRole},
	{"granite-4.0", tGranite40, anyRole},
	{"granite-4.1", tGranite41, anyRole},
	{"grok-2", tGrok2, sua},
	{"hunyuan-dense", tHunyuanDense, sua},
	{"hunyuan-moe", tHunyuanMoE, sua},
	{"hunyuan-vl", tHunyuanVL, sua},
	{"kimi-k2", tKimiK2, sua | roleTool},
	{"llama2", tLlama2, sua},
	{"llama2-sys", tLlama2Sys, sua},
	{"llama2-sys-bos", tLlama2SysBOS, sua},
	{"llama2-sys-strip", tLlama2SysStrip, sua},
	{"llama3", tLlama3, anyRole},
	{"llama4", tLlama4, anyRole},
	{"megrez", tMegrez, anyRole},
	{"minicpm", tMiniCPM, sua},
	{"mistral-v1", tMistralV1, sua},
	{"mistral-v3", tMistralV3, sua},
	{"mistral-v3-tekken", tMistralV3Tekken, sua},
	{"mistral-v7", tMistralV7, sua},
	{"mistral-v7-tekken", tMistralV7Tekken, sua},
	{"monarch", tMonarch, anyRole},
	{"openchat", tOpenchat, anyRole},
	{"orion", tOrion, sua},
	{"pangu-embedded", tPanguEmbed, sua | roleTool | roleFunction},
	{"phi3", tPhi3, anyRole},
	{"phi4", tPhi4, anyRole},
	{"rwkv-world", tRWKVWorld, sua},
	{"seed_oss", tSeedOSS, anyRole},
	{"smolvlm", tSmolVLM, sua},
	{"solar-open", tSolarOpen, anyRole},
	{"vicuna", tVicuna, sua},
	{"vicuna-orca", tVicunaOrca, sua},
	{"yandex", tYandex, roleUser | roleAssistant},
	{"zephyr", tZephyr, anyRole},
}

func lookup(name string) (format, bool) {
	lo, hi := 0, len(byName)
	for lo < hi {
		mid := (lo + hi) / 2
		switch c := strings.Compare(byName[mid].name, name); {
		case c == 0:
			return byName[mid], true
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return format{}, false
}

func nameOf(t tmpl) string {
	for _, f := range byName {
		if f.id == t {
			return f.name
		}
	}
	return ""
}
