package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
)

// errorBody is every API error: a message and, for a bad parameter or
// field, its name.
type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the response: `+strconv.Quote(err.Error())+`"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, err error) {
	body := errorBody{Error: err.Error()}
	var fe *FieldError
	if errors.As(err, &fe) {
		body.Field = fe.Field
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, body)
}

// statusOf maps an API handler's error to its HTTP status.
func statusOf(err error) int {
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		return http.StatusBadRequest
	case errors.Is(err, errBusy):
		return http.StatusTooManyRequests
	case errors.Is(err, errTimedOut), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	case errors.Is(err, errNotFound):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

var errNotFound = errors.New("not found")

// apiFunc answers one API request: a status-200 value to encode as JSON,
// or an error that statusOf maps; a handler that wrote its own response
// returns (nil, nil).
type apiFunc func(w http.ResponseWriter, r *http.Request) (any, error)

// api wraps an apiFunc with the per-request timeout and JSON errors.
func (s *Server) api(f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
		defer cancel()
		v, err := f(w, r.WithContext(ctx))
		switch {
		case err != nil:
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				err = fmt.Errorf("request took longer than the server's timeout %v: %w", s.opts.Timeout, err)
			}
			code := statusOf(err)
			if code == http.StatusInternalServerError {
				s.opts.Logf("%s %s: %v", r.Method, r.URL, err)
			}
			writeError(w, code, err)
		case v != nil:
			writeJSON(w, http.StatusOK, v)
		}
	}
}

// recoverPanic turns a handler's panic into a 500 (when nothing was written
// yet) and a log line with the stack; the process goes on serving.
func (s *Server) recoverPanic(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v) // net/http's own way to abort a response; it does not log it
	}
	s.opts.Logf("panic serving %s %s: %v\n%s", r.Method, r.URL, v, debug.Stack())
	writeError(w, http.StatusInternalServerError, fmt.Errorf("internal error: panic: %v", v))
}
