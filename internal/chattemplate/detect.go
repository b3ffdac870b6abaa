package chattemplate

import "strings"

// Detect maps a GGUF tokenizer.chat_template (Jinja source) to a format name the way
// llama.cpp's llm_chat_detect_template does: a template that is itself a name is that
// name; otherwise substrings decide, in llama.cpp's order. ok is false where llama.cpp
// finds no format (llama_chat_apply_template returns -1). Text after a NUL byte is not
// read, as in llama.cpp.
func Detect(jinja string) (name string, ok bool) {
	// llama.cpp reads the template as a C string (llama_model_chat_template and
	// llama_chat_apply_template take const char *): it ends at a NUL byte.
	if i := strings.IndexByte(jinja, 0); i >= 0 {
		jinja = jinja[:i]
	}
	if f, ok := lookup(jinja); ok && f.id != tDots1 { // llama.cpp has no name for dots1
		return f.name, true
	}
	t, ok := detect(jinja)
	if !ok {
		return "", false
	}
	return nameOf(t), true
}

// detect is llm_chat_detect_template after its name lookup, branch for branch.
func detect(s string) (tmpl, bool) {
	has := func(sub string) bool { return strings.Contains(s, sub) }
	switch {
	case has("<|im_start|>"):
		switch {
		case has("<|im_sep|>"):
			return tPhi4, true
		case has("<end_of_utterance>"):
			return tSmolVLM, true // SmolVLM uses <|im_start|> as BOS, but it is not chatml
		}
		return tChatML, true
	case strings.HasPrefix(s, "mistral") || has("[INST]"):
		switch {
		case has("[SYSTEM_PROMPT]"):
			return tMistralV7, true
		case has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]"):
			// Official mistral 'v1', 'v3' and 'v3-tekken' templates.
			switch {
			case has(" [INST]"):
				return tMistralV1, true
			case has(`"[INST]"`):
				return tMistralV3Tekken, true
			}
			return tMistralV3, true
		}
		// llama2 and its variants
		switch {
		case has("content.strip()"):
			return tLlama2SysStrip, true
		case has("bos_token + '[INST]"):
			return tLlama2SysBOS, true
		case has("<<SYS>>"):
			return tLlama2Sys, true
		}
		return tLlama2, true
	case has("<|assistant|>") && has("<|end|>"):
		return tPhi3, true
	case has("[gMASK]<sop>"):
		return tChatGLM4, true
	case has("<|assistant|>") && has("<|user|>"):
		switch {
		case has("<|tool_declare|>"):
			return tExaoneMoE, true
		case has("</s>"):
			return tFalcon3, true
		}
		return tGLMEdge, true
	case has("<|{{ item['role'] }}|>") && has("<|begin_of_image|>"):
		return tGLMEdge, true
	case has("<|user|>") && has("<|endoftext|>"):
		return tZephyr, true
	case has("bos_token + message['role']"):
		return tMonarch, true
	case has("<start_of_turn>"):
		return tGemma, true
	case has(`'\n\nAssistant: ' + eos_token`):
		return tOrion, true // OrionStarAI/Orion-14B-Chat
	case has("GPT4 Correct "):
		return tOpenchat, true // openchat/openchat-3.5-0106
	case has("USER: ") && has("ASSISTANT: "):
		// eachadea/vicuna-13b-1.1 (and the Orca variant)
		if has("SYSTEM: ") {
			return tVicunaOrca, true
		}
		return tVicuna, true
	case has("### Instruction:") && has("<|EOT|>"):
		return tDeepseek, true // deepseek-ai/deepseek-coder-33b-instruct
	case has("<|START_OF_TURN_TOKEN|>") && has("<|USER_TOKEN|>"):
		return tCommandR, true // CohereForAI/c4ai-command-r-plus
	case has("<|start_header_id|>") && has("<|end_header_id|>"):
		return tLlama3, true
	case has("[gMASK]sop"):
		return tChatGLM3, true // chatglm3-6b
	case has("<用户>"):
		return tMiniCPM, true // MiniCPM-3B-OpenHermes-2.5-v2-GGUF
	case has("'Assistant: ' + message['content'] + eos_token"):
		return tDeepseek2, true
	case has("<｜Assistant｜>") && has("<｜User｜>") && has("<｜end▁of▁sentence｜>"):
		return tDeepseek3, true
	case has("[|system|]") && has("[|assistant|]") && has("[|endofturn|]"):
		if has("[|tool|]") {
			return tExaone4, true
		}
		return tExaone3, true // EXAONE-3.0-7.8B-Instruct
	case has("rwkv-world") || has(`{{- 'User: ' + message['content']|trim + '\n\n' -}}`):
		return tRWKVWorld, true
	case has("<|start_of_role|>"):
		if has("<tool_call>") || has("<tools>") {
			if has("g4_default_system_message") {
				return tGranite40, true
			}
			return tGranite41, true
		}
		return tGranite3x, true
	case has("message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1]"):
		return tGigachat, true
	case has("<|role_start|>"):
		return tMegrez, true
	case has(" Ассистент:"):
		return tYandex, true
	case has("<role>ASSISTANT</role>") && has("'HUMAN'"):
		return tBailing, true
	case has("<role>ASSISTANT</role>") && has(`"HUMAN"`) && has("<think>"):
		return tBailingThink, true
	case has("<role>ASSISTANT</role>") && has("<role>HUMAN</role>") && has("<|role_end|>"):
		return tBailing2, true
	case has("<|header_start|>") && has("<|header_end|>"):
		return tLlama4, true
	case has("<|endofuserprompt|>"):
		return tDots1, true
	case has("<|extra_0|>") && has("<|extra_4|>"):
		return tHunyuanMoE, true
	case has("<|start|>") && has("<|channel|>"):
		return tOpenAIMoE, true
	case has("<｜hy_Assistant｜>") && has("<｜hy_begin▁of▁sentence｜>"):
		return tHunyuanVL, true
	case has("<｜hy_Assistant｜>") && has("<｜hy_place▁holder▁no▁3｜>"):
		return tHunyuanDense, true
	case has("<|im_assistant|>assistant<|im_middle|>"):
		return tKimiK2, true
	case has("<seed:bos>"):
		return tSeedOSS, true
	case has("'Assistant: '  + message['content'] + '<|separator|>"):
		return tGrok2, true
	case has("[unused9]系统：[unused10]"):
		return tPanguEmbed, true
	case has("<|begin|>") && has("<|end|>") && has("<|content|>"):
		return tSolarOpen, true
	}
	return 0, false
}
