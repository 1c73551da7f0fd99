package config

import (
	"fmt"
	"testing"
)

// BOT_HTTP_ADDR must be a host:port a health check can reach: a port from
// 1 to 65535 and a host that is empty, an IP address or a name.
func TestHTTPAddrPorts(t *testing.T) {
	for _, ok := range []string{":1", "127.0.0.1:65535", "localhost:9102", "[::]:9102", "[fe80::1%eth0]:80"} {
		cfg, _ := mustLoad(t, with(base(), "BOT_HTTP_ADDR", ok))
		if cfg.Runtime.HTTPAddr != ok {
			t.Errorf("BOT_HTTP_ADDR=%q read as %q", ok, cfg.Runtime.HTTPAddr)
		}
	}
	for _, bad := range []string{":99999", ":65536", "localhost:abc", ":0", "127.0.0.1:0", ":-1", ":+80", "localhost:", "a b:80", "[::1:80", "::1:80", "host/x:80"} {
		errs := mustFail(t, with(base(), "BOT_HTTP_ADDR", bad), nil)
		want := fmt.Sprintf("BOT_HTTP_ADDR=%q: must be empty or host:port with a port from 1 to 65535 (e.g. 127.0.0.1:9102 or :9102)", bad)
		if errs.Error() != want {
			t.Errorf("got  %s\nwant %s", errs.Error(), want)
		}
	}
}

// A port inside BOT_REDIS_HOST would be dialled as [host:port]:port; it is
// refused with the two ways to give a port. Bare IPv6 addresses still work.
func TestRedisHostWithPort(t *testing.T) {
	for _, bad := range []string{"127.0.0.1:6379", "[::1]:6379", "redis:6379", "[::1]", "redis.example:abc"} {
		errs := mustFail(t, with(base(), "BOT_REDIS_HOST", bad), nil)
		want := fmt.Sprintf("BOT_REDIS_HOST=%q: must be a host name or IP address without a port: use BOT_REDIS_PORT or BOT_REDIS_URL", bad)
		if errs.Error() != want {
			t.Errorf("got  %s\nwant %s", errs.Error(), want)
		}
	}
	for _, ok := range []string{"::1", "fe80::1%eth0", "2001:db8::6379", "127.0.0.1", "redis.example", "localhost"} {
		cfg, _ := mustLoad(t, with(base(), "BOT_REDIS_HOST", ok))
		if cfg.Redis.Host != ok {
			t.Errorf("BOT_REDIS_HOST=%q read as %q", ok, cfg.Redis.Host)
		}
	}
}
