# Trend panel and coverage by hour: what they add to a weekly report.
#
#   make bench-extras
#
# Runs BenchmarkWeeklyExtras: twelve weeks of 10,000 alerts a week
# (120,000 alerts, every record kept) in a private, throw-away
# redis-server (internal/redistest); each operation reads the trend and
# the coverage in one pass and renders the chart and the heatmap. It
# prints wall time, rendering time and the CPU time of the bot process and
# of redis-server per report. Figures: docs/benchmarks.md.
BENCH_EXTRAS_COUNT ?= 5

.PHONY: bench-extras
bench-extras: ensure-redis
	@echo "bench-extras: $$(nproc) cores, $$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $$(cut -d' ' -f1-3 /proc/loadavg), $$(redis-server --version | sed 's/.*v=\([^ ]*\).*/redis \1/')"
	$(GO) test ./internal/weekly -run '^$$' -bench '^BenchmarkWeeklyExtras$$' -benchtime $(BENCH_EXTRAS_COUNT)x -count 1 -timeout 30m
	@echo "bench-extras: load average after $$(cut -d' ' -f1-3 /proc/loadavg)"
