# Report benchmark (issue 14). Included by the top Makefile.
#
#   make bench-report
#
# Runs BenchmarkQuarterReport: a quarter of 10,000 alerts a week (131,428
# alerts, every record kept) read from a private, throw-away redis-server
# (internal/redistest), built with five response targets and rendered in
# every format. It prints wall time, the time spent rendering, and the CPU
# time of the bot process and of redis-server per report, with the
# machine's cores, CPU and load average, which docs/benchmarks.md records.

BENCH_REPORT_COUNT ?= 5

.PHONY: bench-report
bench-report: ensure-redis
	@echo "bench-report: $$(nproc) cores, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $$(cut -d' ' -f1-3 /proc/loadavg), $$(redis-server --version | sed 's/.*v=\([^ ]*\).*/redis \1/')"
	$(GO) test ./internal/weekly -run '^$$' -bench '^BenchmarkQuarterReport$$' -benchtime $(BENCH_REPORT_COUNT)x -count 1 -timeout 30m
	@echo "bench-report: load average after $$(cut -d' ' -f1-3 /proc/loadavg)"
