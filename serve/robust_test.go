package serve

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBusy fills the one worker and the one queue place with requests held
// inside their slot: the next request is refused with 429 at once, and once
// released the held and the queued ones are answered.
func TestBusy(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	entered := make(chan struct{}, 8)
	s, ts := newTestServer(t, Options{Workers: 1, Queue: 1})
	s.hook = func() { entered <- struct{}{}; <-hold }
	codes := make(chan int, 2)
	for range 2 { // one runs (held), one waits
		go func() {
			codes <- status(ts.URL + "/api/sample?n=1")
		}()
	}
	<-entered
	waitFor(t, func() bool { _, w := s.lim.load(); return w == 1 })
	code, b := get(t, ts.URL+"/api/sample?n=1")
	if code != http.StatusTooManyRequests || !strings.Contains(string(b), "retry") {
		t.Errorf("with the worker busy and the queue full: %d %s, want 429", code, b)
	}
	close(hold)
	for range 2 {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("held or queued request: %d, want 200 once released", code)
		}
	}
	if r, w := s.lim.load(); r != 0 || w != 0 {
		t.Errorf("after all requests: %d running, %d waiting", r, w)
	}
}

// TestQueuedTimeout: a request still waiting for a worker when its timeout
// ends gets 503.
func TestQueuedTimeout(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	s, ts := newTestServer(t, Options{Workers: 1, Queue: 1, Timeout: 300 * time.Millisecond})
	s.hook = func() { <-hold }
	defer close(hold)
	go status(ts.URL + "/api/sample?n=1") // holds the worker
	waitFor(t, func() bool { r, _ := s.lim.load(); return r == 1 })
	code, b := get(t, ts.URL+"/api/sample?n=1")
	if code != http.StatusServiceUnavailable || !strings.Contains(string(b), "waiting for a sampling worker") {
		t.Errorf("queued past its timeout: %d %s, want 503", code, b)
	}
}

// status GETs url from any goroutine: the status code, or -1 on a
// transport error.
func status(url string) int {
	r, err := http.Get(url)
	if err != nil {
		return -1
	}
	r.Body.Close()
	return r.StatusCode
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	l := newLimiter(1, 0)
	release, err := l.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire(context.Background()); !errors.Is(err, errBusy) {
		t.Errorf("queue 0, worker busy: %v, want errBusy", err)
	}
	release()
	l = newLimiter(1, 1)
	release, _ = l.acquire(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := l.acquire(ctx); !errors.Is(err, errTimedOut) {
		t.Errorf("waiting past the deadline: %v, want errTimedOut", err)
	}
	release()
	if r2, err := l.acquire(context.Background()); err != nil {
		t.Errorf("after release: %v", err)
	} else {
		r2()
	}
}

// TestPanicRecovered: a panicking handler answers 500 with a JSON error and
// the server goes on answering.
func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	var logged []string
	var mu sync.Mutex
	s.opts.Logf = func(f string, a ...any) { mu.Lock(); logged = append(logged, f); mu.Unlock() }
	s.hook = func() { panic("planted") }
	code, b := get(t, ts.URL+"/api/sample?n=1")
	if code != http.StatusInternalServerError || !strings.Contains(string(b), "planted") {
		t.Errorf("panicking handler: %d %s", code, b)
	}
	s.hook = nil
	if code, b := get(t, ts.URL+"/api/sample?n=1"); code != 200 {
		t.Errorf("after the panic: %d %s", code, b)
	}
	if r, _ := s.lim.load(); r != 0 {
		t.Errorf("the panicking job kept its worker slot (%d running)", r)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 1 || !strings.HasPrefix(logged[0], "panic serving") {
		t.Errorf("logged %q", logged)
	}
}

// TestTimeout: a job that outlives the request's timeout is cancelled
// through its context and answered 503.
func TestTimeout(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t, Options{Timeout: 50 * time.Millisecond})
	s.hook = func() { time.Sleep(100 * time.Millisecond) } // the context ends meanwhile
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/sample?n=2", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "timeout") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}
