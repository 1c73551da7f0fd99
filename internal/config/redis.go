package config

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// redisURL is what BOT_REDIS_URL contributes. Load copies it into the Redis
// fields so the client is built from one place whichever way it was given.
type redisURL struct {
	host        string
	port        int
	db          int
	username    string
	password    string
	hasPassword bool
	tls         bool
	hasQuery    bool
}

func parseRedisURL(raw string) (redisURL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Opaque != "" || u.Hostname() == "" {
		return redisURL{}, errors.New("must be a redis:// or rediss:// URL with a host")
	}
	ru := redisURL{
		host:     u.Hostname(),
		port:     6379,
		tls:      u.Scheme == "rediss",
		hasQuery: u.RawQuery != "",
		username: u.User.Username(),
	}
	ru.password, ru.hasPassword = u.User.Password()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return redisURL{}, errors.New("must be a redis:// or rediss:// URL with a port from 1 to 65535")
		}
		ru.port = n
	}
	if path := strings.TrimPrefix(u.Path, "/"); path != "" {
		n, err := strconv.Atoi(path)
		if err != nil || n < 0 || n > 15 {
			return redisURL{}, errors.New("must be a redis:// or rediss:// URL whose path, if any, is a database number from 0 to 15")
		}
		ru.db = n
	}
	return ru, nil
}

// redactURL hides a password inside a URL. A value that does not parse but
// has an "@" may still carry one, so it is hidden whole: an operator can
// find a typo in their own file, but a leaked password cannot be unleaked.
func redactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.User == nil && strings.Contains(raw, "@")) {
		if strings.Contains(raw, "@") {
			return "***"
		}
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	user := u.User.Username()
	u.User = nil
	prefix := u.Scheme + "://"
	return prefix + url.User(user).String() + ":***@" + strings.TrimPrefix(u.String(), prefix)
}
