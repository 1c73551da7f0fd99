# Retention cleanup benchmark (plan step 8.3). Included by the top Makefile.
#
#   make bench-retention                      # 100k and 1M keys
#   make bench-retention BENCH_RETENTION_SIZES=100000
#
# Runs BenchmarkCleanup against a private, throw-away redis-server started
# and stopped by scripts/redis.sh, like the other make targets. Results
# (wall time, keys/s, peak RSS, slowest command in SLOWLOG) are printed by
# the benchmark; docs/benchmarks.md records them.

BENCH_RETENTION_SIZES ?= 100000 1000000

.PHONY: bench-retention
bench-retention: ensure-redis
	@set -e; \
	dir=$$(mktemp -d); \
	trap "scripts/redis.sh stop $$dir >/dev/null 2>&1 || true" EXIT; \
	port=$$(scripts/redis.sh start $$dir); \
	echo "bench-retention: redis-server $$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$$port, $$(nproc) cores"; \
	ASHBOT_BENCH_REDIS_ADDR=127.0.0.1:$$port ASHBOT_BENCH_SIZES="$(BENCH_RETENTION_SIZES)" \
		$(GO) test ./internal/retention -run '^$$' -bench '^BenchmarkCleanup$$' -benchtime 1x -count 1 -timeout 30m
