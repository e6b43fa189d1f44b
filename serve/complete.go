package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// CompleteRequest is the body of POST /api/complete: one partial image and
// the rows to keep; the answer holds N completions of it (as /api/sample).
type CompleteRequest struct {
	// Levels is the image as H rows of W levels; only the first Rows rows
	// are read, and rows past them may be left out.
	Levels [][]int32 `json:"levels"`
	Rows   *int      `json:"rows"` // required, 0..H
	N      int       `json:"n"`    // completions, default 1
	Seed   uint64    `json:"seed"` // default 1
	// Temperature defaults to 1.
	Temperature float64 `json:"temperature"`
	Class       *int    `json:"class"`
}

func (s *Server) complete(w http.ResponseWriter, r *http.Request) (any, error) {
	req, err := s.parseComplete(w, r)
	if err != nil {
		return nil, err
	}
	d := drawParams{N: req.N, Seed: req.Seed, Temperature: req.Temperature, Class: req.Class}
	px := s.geo.H * s.geo.W
	batch := make([]int32, d.N*px)
	for i := 0; i < d.N; i++ {
		for y := 0; y < *req.Rows; y++ {
			copy(batch[i*px+y*s.geo.W:], req.Levels[y])
		}
	}
	res, ms, err := s.run(r.Context(), func(ctx context.Context, o sample.Options) (*sample.Result, error) {
		return sample.Complete(ctx, s.g, batch, *req.Rows, o)
	}, d)
	if err != nil {
		return nil, err
	}
	return s.levels(res, d, ms), nil
}

// parseComplete decodes and bounds the body: its size, unknown fields,
// rows, n, temperature, class and every kept level.
func (s *Server) parseComplete(w http.ResponseWriter, r *http.Request) (CompleteRequest, error) {
	req := CompleteRequest{N: 1, Seed: 1, Temperature: 1}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return req, &FieldError{"body", fmt.Sprintf("Content-Type %q, want application/json", ct)}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, bodyError(err, s.opts.MaxBody)
	}
	if dec.More() {
		return req, &FieldError{"body", "more than one JSON value"}
	}
	if err := s.checkDraw(&drawParams{N: req.N, Temperature: req.Temperature, Class: req.Class}); err != nil {
		return req, err
	}
	if req.Rows == nil {
		return req, &FieldError{"rows", "required: how many rows of levels to keep"}
	}
	rows := *req.Rows
	if rows < 0 || rows > s.geo.H {
		return req, &FieldError{"rows", fmt.Sprintf("must be in 0..%d, got %d", s.geo.H, rows)}
	}
	if len(req.Levels) < rows || len(req.Levels) > s.geo.H {
		return req, &FieldError{"levels", fmt.Sprintf("has %d rows, want %d..%d (rows to keep ..image height)", len(req.Levels), rows, s.geo.H)}
	}
	for y := 0; y < rows; y++ {
		if len(req.Levels[y]) != s.geo.W {
			return req, &FieldError{fmt.Sprintf("levels[%d]", y), fmt.Sprintf("has %d levels, want the image width %d", len(req.Levels[y]), s.geo.W)}
		}
		for x, l := range req.Levels[y] {
			if l < 0 || int(l) >= s.geo.Q {
				return req, &FieldError{fmt.Sprintf("levels[%d][%d]", y, x), fmt.Sprintf("level %d out of 0..%d", l, s.geo.Q-1)}
			}
		}
	}
	return req, nil
}

// bodyError names the field a JSON decoding error is about.
func bodyError(err error, limit int64) error {
	var (
		mb *http.MaxBytesError
		te *json.UnmarshalTypeError
		se *json.SyntaxError
	)
	switch {
	case errors.As(err, &mb):
		return &FieldError{"body", fmt.Sprintf("larger than %d bytes", limit)}
	case errors.As(err, &te):
		return &FieldError{te.Field, fmt.Sprintf("%s cannot hold %s", te.Type, te.Value)}
	case errors.As(err, &se):
		return &FieldError{"body", fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)}
	case errors.Is(err, io.EOF):
		return &FieldError{"body", "empty; want a JSON object"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &FieldError{f, "unknown field (known: levels, rows, n, seed, temperature, class)"}
	}
	return &FieldError{"body", err.Error()}
}
