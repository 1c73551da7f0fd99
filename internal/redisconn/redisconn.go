// Package redisconn turns the Redis settings into a connected client. One
// code path serves a single server, Sentinel and Cluster (go-redis
// UniversalClient), so everything above it is written once.
package redisconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/config"
)

// Options builds the client options from validated settings.
func Options(c config.Redis) (*redis.UniversalOptions, error) {
	o := &redis.UniversalOptions{
		Username:     c.Username,
		Password:     c.Password,
		DB:           c.DB,
		DialTimeout:  c.DialTimeout,
		ReadTimeout:  c.ReadTimeout,
		WriteTimeout: c.WriteTimeout,
		PoolSize:     c.PoolSize,
		// Scripts make every write idempotent, so a retried command after
		// a dropped connection cannot count twice.
		MaxRetries: 2,
		// Honour context deadlines on every call: the alert path gives
		// Redis a short one and must not wait out the read timeout.
		ContextTimeoutEnabled: true,
	}
	hostPort := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	switch c.Mode {
	case config.ModeSentinel:
		o.MasterName = c.SentinelMaster
		o.Addrs = c.Addrs
		o.SentinelUsername, o.SentinelPassword = c.Username, c.Password
	case config.ModeCluster:
		o.IsClusterMode = true
		o.Addrs = c.Addrs
		if len(o.Addrs) == 0 {
			o.Addrs = []string{hostPort}
		}
	default:
		o.Addrs = []string{hostPort}
	}
	if c.TLS {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.Host}
		if c.TLSCAFile != "" {
			pem, err := os.ReadFile(c.TLSCAFile)
			if err != nil {
				return nil, fmt.Errorf("read BOT_REDIS_TLS_CA_FILE: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("BOT_REDIS_TLS_CA_FILE %s holds no PEM certificate", c.TLSCAFile)
			}
			tc.RootCAs = pool
		}
		o.TLSConfig = tc
	}
	return o, nil
}

// Connect builds the client and checks that Redis answers and accepts our
// credentials, so that a wrong address or password stops start-up with a
// message an operator can act on instead of failing at the first alert.
func Connect(ctx context.Context, c config.Redis) (redis.UniversalClient, error) {
	o, err := Options(c)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewUniversalClient(o)
	// go-redis gives up a blocked read at the context's deadline but not at
	// its cancellation: closing the client is what ends the wait on a Redis
	// that accepts connections and never answers, so a signal stops
	// start-up at once.
	stop := context.AfterFunc(ctx, func() { rdb.Close() })
	err = rdb.Ping(ctx).Err()
	if !stop() && err == nil {
		err = context.Cause(ctx) // answered as the wait was given up
	}
	if err != nil {
		rdb.Close()
		switch {
		case errors.Is(ctx.Err(), context.Canceled):
			return nil, fmt.Errorf("redis at %s: stopped waiting for an answer: %w", strings.Join(target(c), ", "), context.Cause(ctx))
		case ctx.Err() != nil:
			// The client was closed at the deadline: say why, not "closed".
			err = ctx.Err()
		}
		return nil, Describe(c, err)
	}
	return rdb, nil
}

// CloseOnCancel closes rdb once ctx has been done for grace, and returns
// a func that calls this off. go-redis gives up a blocked call at the
// context's deadline but not at its cancellation, so without it a Redis
// that accepts connections and never answers holds a command past SIGTERM
// for its read timeout, once per retry. Within grace a healthy Redis
// answers the call in flight and the caller stops at its next call, on its
// own terms.
func CloseOnCancel(ctx context.Context, rdb io.Closer, grace time.Duration) (stop func()) {
	done := make(chan struct{})
	stopAfter := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			rdb.Close()
		case <-done:
		}
	})
	var once sync.Once
	return func() {
		stopAfter()
		once.Do(func() { close(done) })
	}
}

// Describe explains a failed connection in the operator's terms.
func Describe(c config.Redis, err error) error {
	where := strings.Join(target(c), ", ")
	switch Kind(err) {
	case KindCredentials:
		user := c.Username
		if user == "" {
			user = "default"
		}
		return fmt.Errorf("redis at %s refused the credentials of user %q (check BOT_REDIS_PASSWORD / BOT_REDIS_USERNAME): %w", where, user, err)
	case KindPermission:
		return fmt.Errorf("redis at %s: the ACL user lacks a permission ashbot needs: %w", where, err)
	case KindTimeout, KindUnreachable:
		return fmt.Errorf("cannot reach redis at %s (check BOT_REDIS_HOST/BOT_REDIS_PORT or BOT_REDIS_URL, and TLS): %w", where, err)
	}
	return fmt.Errorf("redis at %s: %w", where, err)
}

// Kinds of failed calls, as Kind names them.
const (
	KindCredentials = "credentials" // WRONGPASS, NOAUTH: wrong password or user
	KindPermission  = "permission"  // NOPERM: the ACL user lacks a command or key
	KindTimeout     = "timeout"     // no answer in time
	KindUnreachable = "unreachable" // no connection (refused, reset, DNS, TLS)
	KindOther       = "other"       // anything else Redis answered (LOADING among others)
)

// Kind classifies a failed call without its text, which may name keys,
// for health reports and the decision whether to wait for Redis.
func Kind(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "WRONGPASS"), strings.Contains(msg, "NOAUTH"), strings.Contains(msg, "invalid password"),
		strings.Contains(msg, "invalid username-password"):
		return KindCredentials
	case strings.Contains(msg, "NOPERM"):
		return KindPermission
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case isNetErr(err):
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return KindTimeout
		}
		return KindUnreachable
	}
	return KindOther
}

// Retryable reports whether a failed call may pass later without anyone
// changing a setting: Redis down, slow or still loading, but not refused
// credentials or a missing ACL permission, which need the operator.
func Retryable(err error) bool {
	k := Kind(err)
	return k != KindCredentials && k != KindPermission
}

func target(c config.Redis) []string {
	if c.Mode != config.ModeStandalone && len(c.Addrs) > 0 {
		return c.Addrs
	}
	return []string{net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "EOF")
}

// SetLogger routes go-redis's own diagnostics (dial retries, Sentinel
// failovers and the like) to log, as warnings, instead of bare lines on
// stderr. go-redis has one logger per process: the last call wins.
func SetLogger(log *slog.Logger) { redis.SetLogger(redisLog{log}) }

type redisLog struct{ log *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.log.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "go-redis")
}
