package chattemplate

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestNames: sorted, unique, every format once, and the formats the gateway needs most.
func TestNames(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) {
		t.Fatalf("Names not sorted: %v", names)
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Fatalf("duplicate names: %v", names)
	}
	seen := map[tmpl]string{}
	for _, f := range byName {
		if prev, dup := seen[f.id]; dup {
			t.Fatalf("format %d named both %s and %s", f.id, prev, f.name)
		}
		seen[f.id] = f.name
	}
	if len(seen) != int(tSolarOpen)+1 {
		t.Fatalf("%d formats named, llama.cpp has %d", len(seen), int(tSolarOpen)+1)
	}
	for _, n := range []string{
		"chatml", "llama2", "llama2-sys", "llama2-sys-bos", "llama2-sys-strip", "llama3", "llama4",
		"mistral-v1", "mistral-v3", "mistral-v3-tekken", "mistral-v7", "mistral-v7-tekken",
		"phi3", "phi4", "zephyr", "gemma", "deepseek", "deepseek2", "deepseek3", "command-r",
		"vicuna", "vicuna-orca", "openchat", "orion", "monarch", "exaone3", "granite", "falcon3",
		"chatglm3", "chatglm4", "minicpm", "megrez", "yandex", "bailing", "smolvlm", "gigachat",
		"hunyuan-moe", "hunyuan-dense", "gpt-oss", "kimi-k2", "seed_oss",
	} {
		if !Known(n) {
			t.Errorf("%s is not a known name", n)
		}
		if err := Validate(n); err != nil {
			t.Errorf("Validate(%s): %v", n, err)
		}
	}
	for _, n := range []string{"", "ChatML", "chatml ", "llama-3", "jinja"} {
		if Known(n) {
			t.Errorf("%q is known", n)
		}
		err := Validate(n)
		if !errors.Is(err, ErrUnknownTemplate) || !strings.Contains(err.Error(), "chatml, command-r") {
			t.Errorf("Validate(%q) = %v, want ErrUnknownTemplate listing the names", n, err)
		}
	}
}

// TestDetect: every branch of llama.cpp's detection, and every name detects as itself
// (but dots1, which llama.cpp does not know by name).
func TestDetect(t *testing.T) {
	for _, c := range detectCorpus {
		got, ok := Detect(c.jinja)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Detect(%q) = %q, %v; want %q", c.jinja, got, ok, c.want)
		}
	}
	for _, n := range Names() {
		got, ok := Detect(n)
		if n == "dots1" {
			if ok {
				t.Errorf("Detect(dots1) = %q: llama.cpp has no name for it", got)
			}
			continue
		}
		if !ok || got != n {
			t.Errorf("Detect(%q) = %q, %v", n, got, ok)
		}
	}
}

// TestLlamaCppTestCases: llama.cpp's own test of llama_chat_apply_template (its templates
// taken from real models, detected, then applied), passes here byte for byte. Yandex's
// format drops system messages: Apply refuses the chat, and renders the rest as llama.cpp.
func TestLlamaCppTestCases(t *testing.T) {
	for _, c := range readLlamaCppCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			name, ok := Detect(c.Template)
			if !ok {
				t.Fatal("not detected")
			}
			got, err := Apply(name, c.Messages, true)
			if name == "yandex" {
				if !errors.Is(err, ErrRole) {
					t.Fatalf("yandex with a system message: err = %v, want ErrRole", err)
				}
				got, err = Apply(name, slices.DeleteFunc(slices.Clone(c.Messages), func(m Message) bool { return m.Role == "system" }), true)
			}
			if err != nil {
				t.Fatalf("Apply(%s): %v", name, err)
			}
			if got != c.Want {
				t.Fatalf("Apply(%s):\n got %q\nwant %q", name, got, c.Want)
			}
		})
	}
}

// TestGolden: every format and conversation as llama.cpp rendered it (testdata/golden.json,
// written from the library by TestMatchesLlamaCpp -update), without the library.
func TestGolden(t *testing.T) {
	g := readGolden(t)
	byConv := map[string][]Message{}
	for _, c := range conversations {
		byConv[c.Name] = c.Messages
	}
	covered := map[string]int{}
	for _, e := range g.Entries {
		msgs, ok := byConv[e.Conversation]
		if !ok {
			t.Fatalf("golden conversation %q is not in conversations: regenerate testdata/golden.json", e.Conversation)
		}
		got, err := Apply(e.Template, msgs, e.AddAssistant)
		switch {
		case e.Refused:
			if !errors.Is(err, ErrRole) {
				t.Errorf("%s / %s / add_assistant=%v: err = %v, want ErrRole", e.Template, e.Conversation, e.AddAssistant, err)
			}
		case err != nil:
			t.Errorf("%s / %s / add_assistant=%v: %v", e.Template, e.Conversation, e.AddAssistant, err)
		case got != e.Want:
			t.Errorf("%s / %s / add_assistant=%v:\n got %q\nwant %q", e.Template, e.Conversation, e.AddAssistant, got, e.Want)
		}
		if err == nil {
			covered[e.Template]++
		}
	}
	if want := len(Names()) * len(conversations) * 2; len(g.Entries) != want {
		t.Errorf("golden has %d entries, want %d (every name, conversation, add_assistant): regenerate it", len(g.Entries), want)
	}
	for _, n := range Names() {
		if covered[n] < 2 {
			t.Errorf("%s renders only %d golden chats", n, covered[n])
		}
	}
}

func TestApplyErrors(t *testing.T) {
	hello := []Message{{"user", "hi"}}
	for _, c := range []struct {
		name string
		tmpl string
		msgs []Message
		want error
		text string // in the message
	}{
		{"unknown name", "chatml3", hello, ErrUnknownTemplate, `"chatml3"`},
		{"empty name", "", hello, ErrUnknownTemplate, "one of bailing"},
		{"no messages", "chatml", nil, ErrNoMessages, ""},
		{"NUL in content", "chatml", []Message{{"user", "a\x00b"}}, ErrNUL, "message 0"},
		{"NUL in role", "chatml", []Message{{"user", "a"}, {"us\x00er", "b"}}, ErrNUL, "message 1"},
		{"empty role", "chatml", []Message{{"", "a"}}, ErrRole, "no role"},
		{"tool in llama2", "llama2", []Message{{"user", "a"}, {"tool", "b"}}, ErrRole, `role "tool"; llama2 accepts system, user, assistant`},
		{"tool in mistral-v7 (would be the assistant)", "mistral-v7", []Message{{"tool", "b"}}, ErrRole, "tool"},
		{"tool in vicuna (dropped)", "vicuna", []Message{{"tool", "b"}}, ErrRole, "tool"},
		{"upper-case role", "llama2", []Message{{"User", "a"}}, ErrRole, "User"},
		{"developer role", "command-r", []Message{{"developer", "a"}}, ErrRole, "developer"},
		{"system in yandex (dropped)", "yandex", []Message{{"system", "s"}, {"user", "a"}}, ErrRole, "yandex accepts user, assistant"},
		{"system in deepseek-ocr", "deepseek-ocr", []Message{{"system", "s"}, {"user", "a"}}, ErrRole, "accepts user"},
		{"gemma system with no user after", "gemma", []Message{{"user", "a"}, {"system", "s"}}, ErrRole, "gemma"},
		{"gemma system before the model only", "gemma", []Message{{"system", "s"}, {"assistant", "a"}}, ErrRole, "gemma"},
		{"orion system last", "orion", []Message{{"user", "a"}, {"system", "s"}}, ErrRole, "orion"},
		{"gigachat second system", "gigachat", []Message{{"system", "s"}, {"user", "a"}, {"system", "t"}}, ErrRole, "message 2"},
		{"hunyuan-dense second system", "hunyuan-dense", []Message{{"user", "a"}, {"system", "s"}}, ErrRole, "message 1"},
		{"hunyuan-vl second system", "hunyuan-vl", []Message{{"system", "s"}, {"system", "t"}}, ErrRole, "message 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Apply(c.tmpl, c.msgs, true)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("Apply = %q, %v; want %v containing %q", got, err, c.want, c.text)
			}
		})
	}
	// What is not dropped is accepted: an empty system message has nothing to lose, and
	// a literal-role format writes any role.
	for _, c := range []struct {
		tmpl string
		msgs []Message
		want string
	}{
		{"gemma", []Message{{"user", "a"}, {"system", "  "}}, "<start_of_turn>user\na<end_of_turn>\n<start_of_turn>model\n"},
		{"orion", []Message{{"user", "a"}, {"system", ""}}, "Human: a\n\nAssistant: </s>"},
		{"chatml", []Message{{"developer", "d"}}, "<|im_start|>developer\nd<|im_end|>\n<|im_start|>assistant\n"},
		{"openchat", []Message{{"tool", "t"}}, "GPT4 Correct Tool: t<|end_of_turn|>GPT4 Correct Assistant:"},
		{"bailing", []Message{{"tool", "t"}, {"user", "u"}}, "<role>TOOL</role>t<role>HUMAN</role>u<role>ASSISTANT</role>"},
		{"gemma", []Message{{"system", "s"}, {"assistant", "a"}, {"user", "u"}}, "<start_of_turn>model\na<end_of_turn>\n<start_of_turn>user\ns\n\nu<end_of_turn>\n<start_of_turn>model\n"},
	} {
		got, err := Apply(c.tmpl, c.msgs, true)
		if err != nil || got != c.want {
			t.Errorf("Apply(%s, %q) = %q, %v; want %q", c.tmpl, c.msgs, got, err, c.want)
		}
	}
}

// TestHandWritten: a few renderings written out by hand from llama-chat.cpp, so a reader
// sees the formats without the golden file.
func TestHandWritten(t *testing.T) {
	chat := []Message{{"system", "Be brief."}, {"user", "Hi"}, {"assistant", " Hello "}, {"user", "Bye"}}
	for _, c := range []struct {
		tmpl   string
		addAss bool
		want   string
	}{
		{"chatml", true, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n Hello <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n"},
		{"chatml", false, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n Hello <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"},
		{"llama3", true, "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{"llama2-sys", true, "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello </s>[INST] Bye [/INST]"},
		{"llama2-sys-bos", false, "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello </s><s>[INST] Bye [/INST]"},
		{"mistral-v3", true, "[INST] Be brief.\n\nHi[/INST] Hello</s>[INST] Bye[/INST]"},
		{"mistral-v7", true, "[SYSTEM_PROMPT] Be brief.[/SYSTEM_PROMPT][INST] Hi[/INST]  Hello </s>[INST] Bye[/INST]"},
		{"phi3", true, "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n Hello <|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n"},
		{"gemma", true, "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n"},
		{"zephyr", false, "<|system|>\nBe brief.<|endoftext|>\n<|user|>\nHi<|endoftext|>\n<|assistant|>\n Hello <|endoftext|>\n<|user|>\nBye<|endoftext|>\n"},
		{"deepseek3", true, "Be brief.\n\n<｜User｜>Hi<｜Assistant｜> Hello <｜end▁of▁sentence｜><｜User｜>Bye<｜Assistant｜>"},
	} {
		got, err := Apply(c.tmpl, chat, c.addAss)
		if err != nil || got != c.want {
			t.Errorf("Apply(%s, add_assistant=%v):\n got %q, %v\nwant %q", c.tmpl, c.addAss, got, err, c.want)
		}
	}
}

func TestTrimIsCIsspace(t *testing.T) {
	if got := trim(" \t\n\v\f\rx y\r\f\v\n\t "); got != "x y" {
		t.Fatalf("trim = %q", got)
	}
	// Not C whitespace: a no-break space (UTF-8 C2 A0), NEL (0x85), invalid UTF-8.
	for _, s := range []string{"\u00a0x\u00a0", "\x85x\x85", "\xffx\xff"} {
		if got := trim(s); got != s {
			t.Errorf("trim(%q) = %q", s, got)
		}
	}
}

func FuzzApply(f *testing.F) {
	f.Add("chatml", "system", "s", "user", "u", true)
	f.Add("gemma", "user", " x ", "system", "y", false)
	f.Add("mistral-v3", "assistant", "\t", "user", "é", true)
	f.Fuzz(func(t *testing.T, name, r1, c1, r2, c2 string, addAss bool) {
		out, err := Apply(name, []Message{{r1, c1}, {r2, c2}}, addAss)
		if err != nil {
			if out != "" {
				t.Fatalf("output %q with error %v", out, err)
			}
			return
		}
		if !Known(name) {
			t.Fatalf("rendered with unknown %q", name)
		}
		// No format loses content it has not trimmed: every content's trimmed text is
		// in the output (empty contents aside).
		for _, c := range []string{c1, c2} {
			if tc := trim(c); tc != "" && !strings.Contains(out, tc) {
				t.Fatalf("%s dropped %q: %q", name, c, out)
			}
		}
	})
}
