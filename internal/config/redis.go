package config

import (
	"errors"
	"fmt"
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
	if names := credentialParams(u.RawQuery); len(names) > 0 {
		// Other query parameters are ignored with a warning; ignoring a
		// password would connect without it and fail far from the cause.
		return redisURL{}, fmt.Errorf("must not carry credentials in its query (%s): put the password in the URL as redis://:PASSWORD@host or in BOT_REDIS_PASSWORD (or BOT_REDIS_PASSWORD_FILE)", strings.Join(names, ", "))
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
