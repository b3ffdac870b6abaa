package gateway

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseRequestMapsEveryParameterExactly(t *testing.T) {
	r, e := parseRequest(kindChat, []byte(`{"model":"m","messages":[{"role":"developer","content":"be brief"},
		{"role":"user","content":[{"type":"text","text":"hi "},{"type":"text","text":"there"}]}],
		"max_completion_tokens":12,"temperature":0.7,"top_p":0.95,"top_k":40,"seed":18446744073709551615,
		"stop":["\n\n","END"],"stream":true,"stream_options":{"include_usage":true},"n":1,"user":"u",
		"presence_penalty":0,"frequency_penalty":null,"logprobs":false}`))
	require.Nil(t, e)
	require.Equal(t, "m", r.Model)
	require.Len(t, r.Messages, 2)
	require.Equal(t, "system", r.Messages[0].Role)
	require.Equal(t, "hi there", r.Messages[1].Content)
	require.Equal(t, uint64(12), r.MaxTokens)
	require.Equal(t, uint32(700), r.TemperatureMilli)
	require.Equal(t, uint32(950), r.TopPMilli)
	require.Equal(t, uint32(40), r.TopK)
	require.Equal(t, uint64(18446744073709551615), r.Seed)
	require.False(t, r.SeedChosen)
	require.Equal(t, []string{"\n\n", "END"}, r.Stop)
	require.True(t, r.Stream)
	require.True(t, r.IncludeUsage)

	r, e = parseRequest(kindCompletion, []byte(`{"model":"m","prompt":["once"],"stop":"x"}`))
	require.Nil(t, e)
	require.Equal(t, "once", r.Prompt)
	require.Equal(t, uint32(1000), r.TemperatureMilli, "OpenAI's default temperature is 1")
	require.True(t, r.SeedChosen, "a request without a seed gets one drawn by the gateway")
	require.Equal(t, []string{"x"}, r.Stop)
	require.Zero(t, r.MaxTokens, "no max_tokens: the gateway's default applies later")
}

// Every parameter the network cannot honour is refused by name, never ignored.
func TestParseRequestRefusesWhatItCannotHonour(t *testing.T) {
	cases := []struct {
		kind, body, param string
	}{
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}`, "n"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[]}`, "tools"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"auto"}`, "tool_choice"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":true}`, "logprobs"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"top_logprobs":2}`, "top_logprobs"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}`, "response_format"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"logit_bias":{"1":2}}`, "logit_bias"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"presence_penalty":0.5}`, "presence_penalty"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"frequency_penalty":1}`, "frequency_penalty"},
		{kindChat, `{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].role"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x","tool_calls":[]}]}`, "messages[0].tool_calls"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, "messages[0].content[0]"},
		{kindChat, `{"model":"m","messages":[]}`, "messages"},
		{kindChat, `{"model":"m"}`, "messages"},
		{kindChat, `{"messages":[{"role":"user","content":"x"}]}`, "model"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.0005}`, "temperature"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":2.5}`, "temperature"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"top_p":0}`, "top_p"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"seed":-1}`, "seed"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"seed":1.5}`, "seed"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}`, "max_tokens"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":5,"max_completion_tokens":6}`, "max_completion_tokens"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]}`, "stop"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"stop":[""]}`, "stop"},
		{kindChat, `{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}`, "stream_options"},
		{kindCompletion, `{"model":"m","prompt":["a","b"]}`, "prompt"},
		{kindCompletion, `{"model":"m","prompt":[1,2,3]}`, "prompt"},
		{kindCompletion, `{"model":"m","prompt":"x","best_of":3}`, "best_of"},
		{kindCompletion, `{"model":"m","prompt":"x","echo":true}`, "echo"},
		{kindCompletion, `{"model":"m","prompt":"x","suffix":"y"}`, "suffix"},
		{kindCompletion, `{"model":"m","prompt":"x","logprobs":5}`, "logprobs"},
		{kindCompletion, `{"model":"m","messages":[]}`, "messages"},
	}
	for _, c := range cases {
		_, e := parseRequest(c.kind, []byte(c.body))
		require.NotNil(t, e, c.body)
		require.Equal(t, http.StatusBadRequest, e.Status, c.body)
		require.NotNil(t, e.Param, c.body)
		require.Equal(t, c.param, *e.Param, c.body)
		require.Contains(t, e.Message, c.param, "the error names the parameter: %s", c.body)
	}
	_, e := parseRequest(kindChat, []byte(`[1]`))
	require.NotNil(t, e)
	require.Equal(t, http.StatusBadRequest, e.Status)
}
