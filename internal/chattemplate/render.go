package chattemplate

import (
	"fmt"
	"strings"
)

// render is llm_chat_apply_template, case for case and in its order, so the two can be
// read side by side. Apply has checked the roles against the format's roleSet; render
// refuses what llama.cpp would drop (a system message a format keeps only at the start,
// or one merged into a user turn that never comes).
func render(t tmpl, chat []Message, addAss bool) (string, error) {
	var ss strings.Builder
	w := func(parts ...string) {
		for _, p := range parts {
			ss.WriteString(p)
		}
	}
	switch t {
	case tChatML:
		for _, m := range chat {
			w("<|im_start|>", m.Role, "\n", m.Content, "<|im_end|>\n")
		}
		if addAss {
			w("<|im_start|>assistant\n")
		}
	case tMistralV7, tMistralV7Tekken:
		// Official mistral 'v7' template.
		trailing := ""
		if t == tMistralV7 {
			trailing = " "
		}
		for _, m := range chat {
			switch m.Role {
			case "system":
				w("[SYSTEM_PROMPT]", trailing, m.Content, "[/SYSTEM_PROMPT]")
			case "user":
				w("[INST]", trailing, m.Content, "[/INST]")
			default:
				w(trailing, m.Content, "</s>")
			}
		}
	case tMistralV1, tMistralV3, tMistralV3Tekken:
		leading, trailing := "", " "
		if t == tMistralV1 {
			leading = " "
		}
		if t == tMistralV3Tekken {
			trailing = ""
		}
		trimAssistant := t == tMistralV3
		inside := false
		for _, m := range chat {
			if !inside {
				w(leading, "[INST]", trailing)
				inside = true
			}
			switch m.Role {
			case "system":
				w(m.Content, "\n\n")
			case "user":
				w(m.Content, leading, "[/INST]")
			default:
				c := m.Content
				if trimAssistant {
					c = trim(c)
				}
				w(trailing, c, "</s>")
				inside = false
			}
		}
	case tLlama2, tLlama2Sys, tLlama2SysBOS, tLlama2SysStrip:
		supportSystem := t != tLlama2
		bosInsideHistory := t == tLlama2SysBOS
		strip := t == tLlama2SysStrip
		inside := true // skip BOS at the beginning
		w("[INST] ")
		for _, m := range chat {
			c := m.Content
			if strip {
				c = trim(c)
			}
			if !inside {
				inside = true
				if bosInsideHistory {
					w("<s>[INST] ")
				} else {
					w("[INST] ")
				}
			}
			switch m.Role {
			case "system":
				if supportSystem {
					w("<<SYS>>\n", c, "\n<</SYS>>\n\n")
				} else {
					// without <<SYS>>, the system message still goes into the first turn
					w(c, "\n")
				}
			case "user":
				w(c, " [/INST]")
			default:
				w(c, "</s>")
				inside = false
			}
		}
	case tPhi3:
		for _, m := range chat {
			w("<|", m.Role, "|>\n", m.Content, "<|end|>\n")
		}
		if addAss {
			w("<|assistant|>\n")
		}
	case tPhi4:
		for _, m := range chat {
			w("<|im_start|>", m.Role, "<|im_sep|>", m.Content, "<|im_end|>")
		}
		if addAss {
			w("<|im_start|>assistant<|im_sep|>")
		}
	case tFalcon3:
		for _, m := range chat {
			w("<|", m.Role, "|>\n", m.Content, "\n")
		}
		if addAss {
			w("<|assistant|>\n")
		}
	case tZephyr:
		for _, m := range chat {
			w("<|", m.Role, "|>", "\n", m.Content, "<|endoftext|>\n")
		}
		if addAss {
			w("<|assistant|>\n")
		}
	case tMonarch:
		for i, m := range chat {
			if i > 0 { // no BOS before the first message
				w("<s>")
			}
			w(m.Role, "\n", m.Content, "</s>\n")
		}
		if addAss {
			w("<s>assistant\n")
		}
	case tGemma:
		// No system turn: the system prompt is merged into the next turn not the model's.
		system := ""
		for _, m := range chat {
			if m.Role == "system" {
				system += trim(m.Content)
				continue
			}
			role := m.Role
			if role == "assistant" {
				role = "model"
			}
			w("<start_of_turn>", role, "\n")
			if system != "" && role != "model" {
				w(system, "\n\n")
				system = ""
			}
			w(trim(m.Content), "<end_of_turn>\n")
		}
		if system != "" {
			return "", fmt.Errorf("%w: gemma merges a system message into the next user turn, and none follows", ErrRole)
		}
		if addAss {
			w("<start_of_turn>model\n")
		}
	case tOrion:
		// No system turn: the system prompt is merged into the next user turn.
		system := ""
		for _, m := range chat {
			switch m.Role {
			case "system":
				system += m.Content
				continue
			case "user":
				w("Human: ")
				if system != "" {
					w(system, "\n\n")
					system = ""
				}
				w(m.Content, "\n\nAssistant: </s>")
			default:
				w(m.Content, "</s>")
			}
		}
		if system != "" {
			return "", fmt.Errorf("%w: orion merges a system message into the next user turn, and none follows", ErrRole)
		}
	case tOpenchat:
		for _, m := range chat {
			if m.Role == "system" {
				w(m.Content, "<|end_of_turn|>")
				continue
			}
			w("GPT4 Correct ", upperFirst(m.Role), ": ", m.Content, "<|end_of_turn|>")
		}
		if addAss {
			w("GPT4 Correct Assistant:")
		}
	case tVicuna, tVicunaOrca:
		for _, m := range chat {
			switch m.Role {
			case "system":
				if t == tVicunaOrca {
					w("SYSTEM: ", m.Content, "\n")
				} else {
					w(m.Content, "\n\n")
				}
			case "user":
				w("USER: ", m.Content, "\n")
			case "assistant":
				w("ASSISTANT: ", m.Content, "</s>\n")
			}
		}
		if addAss {
			w("ASSISTANT:")
		}
	case tDeepseek:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w(m.Content)
			case "user":
				w("### Instruction:\n", m.Content, "\n")
			case "assistant":
				w("### Response:\n", m.Content, "\n<|EOT|>\n")
			}
		}
		if addAss {
			w("### Response:\n")
		}
	case tCommandR:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w("<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>", trim(m.Content), "<|END_OF_TURN_TOKEN|>")
			case "user":
				w("<|START_OF_TURN_TOKEN|><|USER_TOKEN|>", trim(m.Content), "<|END_OF_TURN_TOKEN|>")
			case "assistant":
				w("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", trim(m.Content), "<|END_OF_TURN_TOKEN|>")
			}
		}
		if addAss {
			w("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>")
		}
	case tLlama3:
		for _, m := range chat {
			w("<|start_header_id|>", m.Role, "<|end_header_id|>\n\n", trim(m.Content), "<|eot_id|>")
		}
		if addAss {
			w("<|start_header_id|>assistant<|end_header_id|>\n\n")
		}
	case tChatGLM3:
		w("[gMASK]", "sop")
		for _, m := range chat {
			w("<|", m.Role, "|>", "\n ", m.Content)
		}
		if addAss {
			w("<|assistant|>")
		}
	case tChatGLM4:
		w("[gMASK]", "<sop>")
		for _, m := range chat {
			w("<|", m.Role, "|>", "\n", m.Content)
		}
		if addAss {
			w("<|assistant|>\n")
		}
	case tGLMEdge:
		for _, m := range chat {
			w("<|", m.Role, "|>", "\n", m.Content)
		}
		if addAss {
			w("<|assistant|>")
		}
	case tMiniCPM:
		for _, m := range chat {
			if m.Role == "user" {
				w("<用户>", trim(m.Content), "<AI>")
			} else {
				w(trim(m.Content))
			}
		}
	case tDeepseek2:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w(m.Content, "\n\n")
			case "user":
				w("User: ", m.Content, "\n\n")
			case "assistant":
				w("Assistant: ", m.Content, "<｜end▁of▁sentence｜>")
			}
		}
		if addAss {
			w("Assistant:")
		}
	case tDeepseek3:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w(m.Content, "\n\n")
			case "user":
				w("<｜User｜>", m.Content)
			case "assistant":
				w("<｜Assistant｜>", m.Content, "<｜end▁of▁sentence｜>")
			}
		}
		if addAss {
			w("<｜Assistant｜>")
		}
	case tDeepseekOCR:
		for _, m := range chat {
			w(m.Content) // no template
		}
	case tExaone3:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w("[|system|]", trim(m.Content), "[|endofturn|]\n")
			case "user":
				w("[|user|]", trim(m.Content), "\n")
			case "assistant":
				w("[|assistant|]", trim(m.Content), "[|endofturn|]\n")
			}
		}
		if addAss {
			w("[|assistant|]")
		}
	case tExaone4:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w("[|system|]", trim(m.Content), "[|endofturn|]\n")
			case "user":
				w("[|user|]", trim(m.Content), "\n")
			case "assistant":
				w("[|assistant|]", trim(m.Content), "[|endofturn|]\n")
			case "tool":
				w("[|tool|]", trim(m.Content), "[|endofturn|]\n")
			}
		}
		if addAss {
			w("[|assistant|]")
		}
	case tExaoneMoE:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w("<|system|>\n", trim(m.Content), "<|endofturn|>\n")
			case "user":
				w("<|user|>\n", trim(m.Content), "<|endofturn|>\n")
			case "assistant":
				w("<|assistant|>\n", trim(m.Content), "<|endofturn|>\n")
			case "tool":
				w("<|tool|>\n", trim(m.Content), "<|endofturn|>\n")
			}
		}
		if addAss {
			w("<|assistant|>\n")
		}
	case tRWKVWorld:
		// "\n\n" is the model's end-of-turn token; the assistant prefix follows a last
		// user message whatever addAss says, as in llama.cpp.
		for i, m := range chat {
			switch m.Role {
			case "system":
				w("System: ", trim(m.Content), "\n\n")
			case "user":
				w("User: ", trim(m.Content), "\n\n")
				if i == len(chat)-1 {
					w("Assistant:")
				}
			case "assistant":
				w("Assistant: ", trim(m.Content), "\n\n")
			}
		}
	case tGranite3x:
		for _, m := range chat {
			w("<|start_of_role|>", m.Role, "<|end_of_role|>")
			if m.Role == "assistant_tool_call" {
				w("<|tool_call|>")
			}
			w(m.Content, "<|end_of_text|>\n")
		}
		if addAss {
			w("<|start_of_role|>assistant<|end_of_role|>")
		}
	case tGranite40, tGranite41:
		for _, m := range chat {
			if m.Role == "assistant_tool_call" {
				w("<|start_of_role|>assistant<|end_of_role|><|tool_call|>")
			} else {
				w("<|start_of_role|>", m.Role, "<|end_of_role|>")
			}
			w(m.Content, "<|end_of_text|>\n")
		}
		if addAss {
			w("<|start_of_role|>assistant<|end_of_role|>")
		}
	case tGigachat:
		hasSystem := chat[0].Role == "system"
		start := 0
		if hasSystem {
			w("<s>", chat[0].Content, "<|message_sep|>")
			start = 1
		} else {
			w("<s>")
		}
		for i := start; i < len(chat); i++ {
			switch chat[i].Role {
			case "user":
				w("user<|role_sep|>", chat[i].Content, "<|message_sep|>", "available functions<|role_sep|>[]<|message_sep|>")
			case "assistant":
				w("assistant<|role_sep|>", chat[i].Content, "<|message_sep|>")
			default:
				return "", systemNotFirst("gigachat", i)
			}
		}
		if addAss {
			w("assistant<|role_sep|>")
		}
	case tMegrez:
		for _, m := range chat {
			w("<|role_start|>", m.Role, "<|role_end|>", m.Content, "<|turn_end|>")
		}
		if addAss {
			w("<|role_start|>assistant<|role_end|>")
		}
	case tYandex:
		// "\n\n" is the model's end-of-turn token.
		for _, m := range chat {
			switch m.Role {
			case "user":
				w(" Пользователь: ", m.Content, "\n\n")
			case "assistant":
				w(" Ассистент: ", m.Content, "\n\n")
			}
		}
		if addAss {
			w(" Ассистент:[SEP]")
		}
	case tBailing, tBailingThink:
		for _, m := range chat {
			w("<role>", bailingRole(m.Role), "</role>", m.Content)
		}
		if addAss {
			w("<role>ASSISTANT</role>")
			if t == tBailingThink {
				w("<think>")
			}
		}
	case tBailing2:
		if chat[0].Role != "system" {
			w("<role>SYSTEM</role>detailed thinking off<|role_end|>")
		}
		for _, m := range chat {
			w("<role>", bailingRole(m.Role), "</role>", m.Content, "<|role_end|>")
		}
		if addAss {
			w("<role>ASSISTANT</role>")
		}
	case tLlama4:
		for _, m := range chat {
			w("<|header_start|>", m.Role, "<|header_end|>\n\n", trim(m.Content), "<|eot|>")
		}
		if addAss {
			w("<|header_start|>assistant<|header_end|>\n\n")
		}
	case tSmolVLM:
		w("<|im_start|>") // the BOS; the rest is not chatml
		for _, m := range chat {
			switch m.Role {
			case "system":
				w(m.Content, "\n\n")
			case "user":
				w("User: ", m.Content, "<end_of_utterance>\n")
			default:
				w("Assistant: ", m.Content, "<end_of_utterance>\n")
			}
		}
		if addAss {
			w("Assistant:")
		}
	case tDots1:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w("<|system|>", m.Content, "<|endofsystem|>")
			case "user":
				w("<|userprompt|>", m.Content, "<|endofuserprompt|>")
			default:
				w("<|response|>", m.Content, "<|endofresponse|>")
			}
		}
		if addAss {
			w("<|response|>")
		}
	case tHunyuanMoE:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w("<|startoftext|>", m.Content, "<|extra_4|>")
			case "assistant":
				w(m.Content, "<|eos|>")
			default:
				w("<|startoftext|>", m.Content, "<|extra_0|>")
			}
		}
	case tOpenAIMoE:
		for _, m := range chat {
			w("<|start|>", m.Role, "<|message|>", m.Content)
			if m.Role == "assistant" {
				w("<|return|>")
			} else {
				w("<|end|>")
			}
		}
		if addAss {
			w("<|start|>assistant")
		}
	case tHunyuanDense:
		for i, m := range chat {
			switch {
			case i == 0 && m.Role == "system":
				w(m.Content, "<｜hy_place▁holder▁no▁3｜>")
			case m.Role == "assistant":
				w("<｜hy_Assistant｜>", m.Content, "<｜hy_place▁holder▁no▁2｜>")
			case m.Role == "user":
				w("<｜hy_User｜>", m.Content, "<｜hy_Assistant｜>")
			default:
				return "", systemNotFirst("hunyuan-dense", i)
			}
		}
	case tHunyuanVL:
		w("<｜hy_begin▁of▁sentence｜>")
		for i, m := range chat {
			switch {
			case i == 0 && m.Role == "system":
				w(m.Content, "<｜hy_place▁holder▁no▁3｜>")
			case m.Role == "user":
				w(m.Content, "<｜hy_User｜>")
			case m.Role == "assistant":
				w(m.Content, "<｜hy_Assistant｜>")
			default:
				return "", systemNotFirst("hunyuan-vl", i)
			}
		}
	case tKimiK2:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w("<|im_system|>system<|im_middle|>")
			case "user":
				w("<|im_user|>user<|im_middle|>")
			case "assistant":
				w("<|im_assistant|>assistant<|im_middle|>")
			case "tool":
				w("<|im_system|>tool<|im_middle|>")
			}
			w(m.Content, "<|im_end|>")
		}
		if addAss {
			w("<|im_assistant|>assistant<|im_middle|>")
		}
	case tSeedOSS:
		for _, m := range chat {
			c := m.Content
			if m.Role == "assistant" {
				c = trim(c)
			}
			w("<seed:bos>", m.Role, "\n", c, "<seed:eos>")
		}
		if addAss {
			w("<seed:bos>assistant\n")
		}
	case tGrok2:
		for _, m := range chat {
			switch m.Role {
			case "system":
				w("System: ", trim(m.Content), "<|separator|>\n\n")
			case "user":
				w("Human: ", trim(m.Content), "<|separator|>\n\n")
			case "assistant":
				w("Assistant: ", m.Content, "<|separator|>\n\n")
			}
		}
		if addAss {
			w("Assistant:")
		}
	case tPanguEmbed:
		for i, m := range chat {
			if i == 0 && m.Role != "system" {
				w("[unused9]系统：[unused10]")
			}
			switch m.Role {
			case "system":
				w("[unused9]系统：", m.Content, "[unused10]")
			case "user":
				w("[unused9]用户：", m.Content, "[unused10]")
			case "assistant":
				w("[unused9]助手：", m.Content, "[unused10]")
			case "tool":
				w("[unused9]工具：", m.Content, "[unused10]")
			case "function":
				w("[unused9]方法：", m.Content, "[unused10]")
			}
		}
		if addAss {
			w("[unused9]助手：")
		}
	case tSolarOpen:
		for _, m := range chat {
			w("<|begin|>", m.Role, "<|content|>", m.Content, "<|end|>")
		}
		if addAss {
			w("<|begin|>assistant")
		}
	default:
		return "", fmt.Errorf("%w: format %d", ErrUnknownTemplate, t)
	}
	return ss.String(), nil
}

func systemNotFirst(name string, i int) error {
	return fmt.Errorf("%w: message %d: %s takes a system message only as the first message", ErrRole, i, name)
}

// trim is llama.cpp's trim: it strips the bytes C's isspace accepts in the "C" locale.
func trim(s string) string {
	return strings.Trim(s, " \t\n\v\f\r")
}

// upperFirst is openchat's role[0] = toupper(role[0]) ("C" locale: ASCII letters only).
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string([]byte{s[0] - 'a' + 'A'}) + s[1:]
}

// bailingRole is the Bailing formats' role: user is HUMAN, any other role upper-cased
// (std::toupper in the "C" locale: ASCII letters only).
func bailingRole(role string) string {
	if role == "user" {
		return "HUMAN"
	}
	b := []byte(role)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
