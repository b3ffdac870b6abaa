package chattemplate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// conversation is a chat the tests render in every format, with and without the
// assistant prefix.
type conversation struct {
	Name     string    `json:"name"`
	Messages []Message `json:"messages"`
}

// conversations covers what the formats treat differently: a system message first or
// not at all, several turns, a chat that ends with the assistant's message, unicode,
// empty contents, contents with the whitespace trim() strips (and what it keeps),
// two system messages, consecutive users, a tool message.
var conversations = []conversation{
	{"user only", []Message{{"user", "Hello"}}},
	{"system first, multi-turn", []Message{
		{"system", "You are a helpful assistant"},
		{"user", "Hello"},
		{"assistant", "Hi there"},
		{"user", "Who are you"},
		{"assistant", "   I am an assistant   "},
		{"user", "Another question"},
	}},
	{"ends with the assistant", []Message{{"user", "Write a haiku"}, {"assistant", "Autumn moonlight -"}}},
	{"assistant first", []Message{{"assistant", "How can I help?"}, {"user", "Say hi"}}},
	{"unicode", []Message{
		{"system", "Ты — помощник. 你好 🙂"},
		{"user", "Ünïcödé ✓ — «quotes» \"dq\" 'sq' \\ backslash <|im_end|>"},
		{"assistant", "日本語の応答です。"},
		{"user", "emoji 👍🏽, combining é, RTL שלום, ZWJ 👩‍💻"},
	}},
	{"empty contents", []Message{{"system", ""}, {"user", ""}, {"assistant", ""}, {"user", ""}}},
	{"whitespace", []Message{
		{"system", " \t\n\v\f\r system \r\n"},
		{"user", "\n\n  user line 1\n  user line 2  \t"},
		{"assistant", "\u00a0 no-break spaces are not C whitespace \u00a0"},
		{"user", "\u0085 next-line stays \u0085"},
	}},
	{"two systems, two users", []Message{
		{"system", "First rule."},
		{"system", "Second rule."},
		{"user", "one"},
		{"user", "two"},
		{"assistant", "three"},
		{"user", "four"},
	}},
	{"tool message", []Message{
		{"user", "Weather in Paris?"},
		{"assistant", "{\"name\":\"weather\",\"arguments\":{\"city\":\"Paris\"}}"},
		{"tool", "{\"temp_c\": 18}"},
	}},
}

// golden is testdata/golden.json: llama.cpp's output for every format and conversation
// (written by TestMatchesLlamaCpp -update from the library itself).
type golden struct {
	Source  string        `json:"source"`
	Entries []goldenEntry `json:"entries"`
}

type goldenEntry struct {
	Template     string `json:"template"`
	Conversation string `json:"conversation"`
	AddAssistant bool   `json:"add_assistant"`
	// Want is llama.cpp's output; Refused marks a chat Apply refuses (the format would
	// drop or misfile a message), with llama.cpp's output in Want for the record.
	Want    string `json:"want"`
	Refused bool   `json:"refused,omitempty"`
}

const goldenPath = "testdata/golden.json"

func readGolden(t *testing.T) golden {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(goldenPath))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// llamaCppCase is one case of llama.cpp's own test (testdata/llama_cpp_tests.json,
// extracted from tests/test-chat-template.cpp of the release in .llama/src).
type llamaCppCase struct {
	Name     string    `json:"name"`
	Template string    `json:"template"`
	Messages []Message `json:"messages"`
	Want     string    `json:"want"`
}

func readLlamaCppCases(t *testing.T) []llamaCppCase {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash("testdata/llama_cpp_tests.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []llamaCppCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no cases in testdata/llama_cpp_tests.json")
	}
	return f.Cases
}

// detectCorpus is Jinja text for every branch of llama.cpp's detection, and text that
// matches none: the llama test feeds each to the library, the unit test checks the
// names expected here.
var detectCorpus = []struct {
	jinja string
	want  string // "" when no format matches
}{
	{"{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}", "chatml"},
	{"<|im_start|>{{ role }}<|im_sep|>", "phi4"},
	{"<|im_start|>User:<end_of_utterance>", "smolvlm"},
	{"mistral", "llama2"},
	{"mistral-v7-tekken", "mistral-v7-tekken"},
	{" mistral", ""},
	{"{{ '[INST] ' + content + ' [/INST]' }}", "llama2"},
	{"[INST] <<SYS>>", "llama2-sys"},
	{"bos_token + '[INST] ' + <<SYS>>", "llama2-sys-bos"},
	{"[INST] {{ content.strip() }}", "llama2-sys-strip"},
	{"[INST] {{ message['content'].strip() }}", "llama2"},
	{"[INST] [SYSTEM_PROMPT]", "mistral-v7"},
	{"{{- ' [INST] ' + system_message + '\\n\\n' }}[INST]", "mistral-v1"},
	{"{{- \"[INST]\" }}[AVAILABLE_TOOLS]", "mistral-v3-tekken"},
	{"{{- \"[INST] \" }}[AVAILABLE_TOOLS]", "mistral-v3"},
	{"[INST][AVAILABLE_TOOLS]", "mistral-v3"},
	{"<|assistant|><|end|>", "phi3"},
	{"[gMASK]<sop><|user|>", "chatglm4"},
	{"<|assistant|><|user|><|tool_declare|>", "exaone-moe"},
	{"<|assistant|><|user|></s>", "falcon3"},
	{"<|assistant|><|user|>", "glmedge"},
	{"<|{{ item['role'] }}|><|begin_of_image|>", "glmedge"},
	{"<|user|><|endoftext|>", "zephyr"},
	{"{{bos_token + message['role'] + '\\n'}}", "monarch"},
	{"<start_of_turn>user", "gemma"},
	{"{{ '\\n\\nAssistant: ' + eos_token }}", "orion"},
	{"GPT4 Correct User:", "openchat"},
	{"USER: x ASSISTANT: y", "vicuna"},
	{"SYSTEM: USER: ASSISTANT: ", "vicuna-orca"},
	{"### Instruction:\n<|EOT|>", "deepseek"},
	{"<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", "command-r"},
	{"<|start_header_id|>user<|end_header_id|>", "llama3"},
	{"[gMASK]sop<|user|>", "chatglm3"},
	{"<用户>", "minicpm"},
	{"{{ 'Assistant: ' + message['content'] + eos_token }}", "deepseek2"},
	{"<｜User｜><｜Assistant｜><｜end▁of▁sentence｜>", "deepseek3"},
	{"[|system|][|assistant|][|endofturn|]", "exaone3"},
	{"[|system|][|assistant|][|endofturn|][|tool|]", "exaone4"},
	{"rwkv-world", "rwkv-world"},
	{"{{- 'User: ' + message['content']|trim + '\\n\\n' -}}", "rwkv-world"},
	{"<|start_of_role|>", "granite"},
	{"<|start_of_role|><tool_call>g4_default_system_message", "granite-4.0"},
	{"<|start_of_role|><tools>", "granite-4.1"},
	{"message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1]", "gigachat"},
	{"<|role_start|>", "megrez"},
	{" Ассистент:", "yandex"},
	{"<role>ASSISTANT</role>'HUMAN'", "bailing"},
	{"<role>ASSISTANT</role>\"HUMAN\"<think>", "bailing-think"},
	{"<role>ASSISTANT</role><role>HUMAN</role><|role_end|>", "bailing2"},
	{"<|header_start|><|header_end|>", "llama4"},
	{"<|endofuserprompt|>", "dots1"},
	{"<|extra_0|><|extra_4|>", "hunyuan-moe"},
	{"<|start|><|channel|>", "gpt-oss"},
	{"<｜hy_Assistant｜><｜hy_begin▁of▁sentence｜>", "hunyuan-vl"},
	{"<｜hy_Assistant｜><｜hy_place▁holder▁no▁3｜>", "hunyuan-dense"},
	{"<|im_assistant|>assistant<|im_middle|>", "kimi-k2"},
	{"<seed:bos>", "seed_oss"},
	{"'Assistant: '  + message['content'] + '<|separator|>", "grok-2"},
	{"[unused9]系统：[unused10]", "pangu-embedded"},
	{"<|begin|><|end|><|content|>", "solar-open"},
	{"", ""},
	{"chatml\x00", "chatml"},
	{"{{ x }}\x00<|im_start|>", ""}, // a C string ends at the NUL
	{"dots1", ""},                   // llama.cpp has no name for dots1
	{"ChatML", ""},
	{"{% for m in messages %}{{ m.content }}{% endfor %}", ""},
	{"<|assistant|>", ""},
	{"'Assistant: ' + message['content'] + '<|separator|>", ""}, // grok-2 needs two spaces
}
