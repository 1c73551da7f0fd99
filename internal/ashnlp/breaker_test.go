package ashnlp_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/standin/nlpsim"
)

// The breaker counts HTTP attempts: with retries off, one failed call is
// one failure.
func breakerFixture(t *testing.T) *fixture {
	return inBubble(t, ashnlp.Options{
		Retries: -1, BreakerFailures: 5, BreakerTimeout: 30 * time.Second, BreakerSuccesses: 2,
	})
}

func openBreaker(t *testing.T, f *fixture) {
	t.Helper()
	f.sim.SetFaults(nlpsim.Faults{Status: 503})
	for i := range 5 {
		if st := f.client.State().Breaker; st != "closed" {
			t.Fatalf("breaker %s after %d failures, want closed", st, i)
		}
		if _, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"}); ashnlp.KindOf(err) != ashnlp.KindStatus5xx {
			t.Fatalf("err = %v", err)
		}
	}
	if st := f.client.State().Breaker; st != "open" {
		t.Fatalf("breaker %s after 5 failures, want open", st)
	}
	f.sim.SetFaults(nlpsim.Faults{})
}

func TestBreakerOpensAfterFailuresAndStopsCalling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := breakerFixture(t)
		openBreaker(t, f)
		calls := len(f.sim.Calls())
		_, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"})
		if !errors.Is(err, ashnlp.ErrBreakerOpen) || ashnlp.KindOf(err) != ashnlp.KindBreakerOpen {
			t.Fatalf("err = %v", err)
		}
		if n := len(f.sim.Calls()); n != calls {
			t.Errorf("the service was called while the breaker was open")
		}
		st := f.client.State()
		if st.LastErrorKind != ashnlp.KindBreakerOpen || st.Counts.Errors[ashnlp.KindBreakerOpen] != 1 {
			t.Errorf("state %+v", st)
		}
	})
}

func TestBreakerOpenStopsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := inBubble(t, ashnlp.Options{Retries: 5, BreakerFailures: 2})
		f.sim.SetFaults(nlpsim.Faults{Status: 502})
		// The breaker opens during the retries: the service's error is
		// returned, since ErrBreakerOpen means nothing was called.
		_, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"})
		var se *ashnlp.StatusError
		if !errors.As(err, &se) || se.Code != 502 || errors.Is(err, ashnlp.ErrBreakerOpen) {
			t.Fatalf("err = %v", err)
		}
		if n := len(f.sim.Calls()); n != 2 {
			t.Errorf("%d attempts, want 2 (then the breaker opened)", n)
		}
		if _, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"}); !errors.Is(err, ashnlp.ErrBreakerOpen) {
			t.Fatalf("next call: err = %v", err)
		}
		if n := len(f.sim.Calls()); n != 2 {
			t.Errorf("called with the breaker open")
		}
	})
}

func TestBreakerHalfOpensAfterTimeoutAndClosesAfterSuccesses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := breakerFixture(t)
		openBreaker(t, f)
		time.Sleep(29 * time.Second)
		if st := f.client.State().Breaker; st != "open" {
			t.Fatalf("breaker %s before its timeout", st)
		}
		time.Sleep(2 * time.Second)
		if st := f.client.State().Breaker; st != "half-open" {
			t.Fatalf("breaker %s after its timeout, want half-open", st)
		}
		if _, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"}); err != nil {
			t.Fatal(err)
		}
		if st := f.client.State().Breaker; st != "half-open" {
			t.Fatalf("breaker %s after 1 success, want half-open until 2", st)
		}
		if _, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"}); err != nil {
			t.Fatal(err)
		}
		if st := f.client.State().Breaker; st != "closed" {
			t.Fatalf("breaker %s after 2 successes, want closed", st)
		}
	})
}

func TestBreakerReopensOnAFailureWhileHalfOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := breakerFixture(t)
		openBreaker(t, f)
		time.Sleep(31 * time.Second)
		f.sim.FailNext(1, 500)
		if _, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"}); ashnlp.KindOf(err) != ashnlp.KindStatus5xx {
			t.Fatalf("err = %v", err)
		}
		if st := f.client.State().Breaker; st != "open" {
			t.Fatalf("breaker %s after a half-open failure, want open", st)
		}
	})
}

// While half-open, calls beyond the trial calls wait for them (as retries)
// instead of failing as if the breaker were open: a backlog drained after
// an outage sends several messages at once.
func TestBreakerHalfOpenCallsBeyondTheTrialsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := inBubble(t, ashnlp.Options{
			Retries: 2, RetryDelay: time.Second, BreakerFailures: 3, BreakerTimeout: 30 * time.Second, BreakerSuccesses: 2,
		})
		f.sim.SetFaults(nlpsim.Faults{Status: 503})
		if _, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"}); f.client.State().Breaker != "open" {
			t.Fatalf("three failed attempts did not open the breaker: %v", err)
		}
		time.Sleep(31 * time.Second)
		f.sim.SetFaults(nlpsim.Faults{Latency: 500 * time.Millisecond})
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				_, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"})
				errs <- err
			}()
		}
		for range 3 {
			if err := <-errs; err != nil {
				t.Errorf("a call beyond the half-open breaker's trials: %v", err)
			}
		}
		if st := f.client.State().Breaker; st != "closed" {
			t.Errorf("breaker %s, want closed", st)
		}
	})
}
