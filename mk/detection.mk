# Detection intake load test (issue 10). Included by the top Makefile.
#
#   make bench-intake                         # 1,000 msg/s for 60 s, then a burst of 10,000
#   make bench-intake BENCH_INTAKE_SECONDS=10
#
# Runs TestIntakeLoad (skipped in `make test`): the real intake with a
# classifier answering in 20 ms and a private redis-server for history,
# claims and cooldowns. Figures go to docs/benchmarks.md.

BENCH_INTAKE_SECONDS ?= 60

.PHONY: bench-intake
bench-intake: ensure-redis
	@echo "bench-intake: $$(nproc) cores, load average $$(cut -d' ' -f1-3 /proc/loadavg)"
	ASHBOT_BENCH_INTAKE=1 ASHBOT_BENCH_SECONDS=$(BENCH_INTAKE_SECONDS) \
		$(GO) test ./internal/detection -run '^TestIntakeLoad$$' -count 1 -v -timeout 20m
