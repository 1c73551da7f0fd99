# Retention cleanup benchmark (plan step 8.3). Included by the top Makefile.
#
#   make bench-retention                      # 100k and 1M keys
#   make bench-retention BENCH_RETENTION_SIZES=100000
#
# Runs BenchmarkCleanup against a private, throw-away redis-server: the
# project's scripts/redis.sh when it exists (ensure; start DIR prints the
# port; stop DIR), else a
# daemonized redis-server on a free loopback port with no persistence.
# Results (wall time, keys/s, peak RSS, slowest command in SLOWLOG) are
# printed by the benchmark; docs/benchmarks.md records them.

BENCH_RETENTION_SIZES ?= 100000 1000000

.PHONY: bench-retention
bench-retention:
	@set -e; \
	if [ -x scripts/redis.sh ]; then \
		scripts/redis.sh ensure; \
		dir=$$(mktemp -d); \
		port=$$(scripts/redis.sh start $$dir); \
		stop="scripts/redis.sh stop $$dir"; \
	else \
		command -v redis-server >/dev/null || { echo "redis-server not on PATH" >&2; exit 1; }; \
		dir=$$(mktemp -d); port=; \
		for try in 1 2 3 4 5; do \
			p=$$(awk 'BEGIN { srand(); print 20000 + int(rand() * 20000) }'); \
			redis-cli -p $$p ping >/dev/null 2>&1 && continue; \
			redis-server --port $$p --bind 127.0.0.1 --save '' --appendonly no \
				--daemonize yes --dir $$dir --pidfile $$dir/redis.pid \
				--logfile $$dir/redis.log >/dev/null; \
			for i in 1 2 3 4 5 6 7 8 9 10; do \
				redis-cli -p $$p ping >/dev/null 2>&1 && { port=$$p; break; }; sleep 0.2; \
			done; \
			[ -n "$$port" ] && break; \
			sleep 1; \
		done; \
		[ -n "$$port" ] || { echo "could not start redis-server" >&2; cat $$dir/redis.log >&2; exit 1; }; \
		stop="redis-cli -p $$port shutdown nosave; rm -rf $$dir"; \
	fi; \
	trap "$$stop >/dev/null 2>&1 || true" EXIT; \
	echo "bench-retention: redis-server $$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$$port, $$(nproc) cores"; \
	ASHBOT_BENCH_REDIS_ADDR=127.0.0.1:$$port ASHBOT_BENCH_SIZES="$(BENCH_RETENTION_SIZES)" \
		go test ./internal/retention -run '^$$' -bench '^BenchmarkCleanup$$' -benchtime 1x -count 1 -timeout 30m
