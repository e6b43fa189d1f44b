package serve

import (
	"context"
	"errors"
	"sync/atomic"
)

// Errors of limiter.acquire: the API answers errBusy with 429 and
// errTimedOut with 503.
var (
	errBusy     = errors.New("too many sampling requests waiting; retry later")
	errTimedOut = errors.New("timed out waiting for a sampling worker")
)

// limiter bounds sampling work: at most cap(slots) jobs run, at most
// maxWait wait for a slot; a request past that is refused at once, so the
// queue never grows without bound.
type limiter struct {
	slots   chan struct{}
	waiting atomic.Int64
	maxWait int64
}

func newLimiter(workers, queue int) *limiter {
	return &limiter{slots: make(chan struct{}, workers), maxWait: int64(queue)}
}

// acquire takes a slot, waiting until ctx ends when none is free and the
// queue has room; release gives it back.
func (l *limiter) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-l.slots }
	select {
	case l.slots <- struct{}{}:
		return release, nil
	default:
	}
	if l.waiting.Add(1) > l.maxWait {
		l.waiting.Add(-1)
		return nil, errBusy
	}
	defer l.waiting.Add(-1)
	select {
	case l.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, errTimedOut
	}
}

// load reports the jobs running and waiting (for /api/info).
func (l *limiter) load() (running, waiting int) {
	return len(l.slots), int(l.waiting.Load())
}
