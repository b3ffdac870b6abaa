package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// apiError is an error in the OpenAI error shape, with its HTTP status.
type apiError struct {
	Status  int     `json:"-"`
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e *apiError) Error() string { return e.Message }

func newError(status int, typ, code, param, format string, args ...any) *apiError {
	e := &apiError{Status: status, Type: typ, Message: fmt.Sprintf(format, args...)}
	if param != "" {
		e.Param = &param
		if !strings.Contains(e.Message, param) {
			e.Message = param + ": " + e.Message
		}
	}
	if code != "" {
		e.Code = &code
	}
	return e
}

// badParam: 400, a request parameter the network cannot honour or that is malformed.
func badParam(param, format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "invalid_request_error", "invalid_parameter", param, format, args...)
}

func unsupportedParam(param string) *apiError {
	return newError(http.StatusBadRequest, "invalid_request_error", "unsupported_parameter", param,
		"parameter %q is not supported by the Sovra network (a job runs exactly the parameters it can verify)", param)
}

func modelNotFound(id string) *apiError {
	return newError(http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
		"model %q is not registered on the chain (GET /v1/models lists them)", id)
}

// insufficient: 402, the request costs more than the caps, the budget or the balance.
func insufficient(code, format string, args ...any) *apiError {
	return newError(http.StatusPaymentRequired, "insufficient_quota", code, "", format, args...)
}

// unavailable: 503, the chain cannot be reached or serve the request now.
func unavailable(format string, args ...any) *apiError {
	return newError(http.StatusServiceUnavailable, "service_unavailable", "chain_unavailable", "", format, args...)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, map[string]*apiError{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
