#!/usr/bin/env bash
# make demo: a private Redis, a realistic sample week imported as if it were
# last week, the weekly report printed as text and JSON, and its chart
# written to out/weekly-report.png.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(mktemp -d /tmp/ashbot-demo.XXXXXX)
trap 'scripts/redis.sh stop "$dir"' EXIT
port=$(scripts/redis.sh start "$dir")
echo "== private redis-server on 127.0.0.1:$port"

export BOT_REDIS_HOST=127.0.0.1 BOT_REDIS_PORT=$port BOT_LOG_FORMAT=text BOT_LOG_LEVEL=error
# The sample is a fixed week; replay it as the 7 days that ended the day
# before yesterday, so that even its latest events lie safely in the past.
start=$(date -u -d '8 days ago' +%F)
end=$(date -u -d '2 days ago' +%F)

echo "== ashbot events import testdata/sample-week.jsonl --shift-to $start"
bin/ashbot events import --shift-to "$start" testdata/sample-week.jsonl
echo "== the same file again: every event is a duplicate"
bin/ashbot events import --shift-to "$start" testdata/sample-week.jsonl
echo
echo "== ashbot report --end $end --format text"
bin/ashbot report --end "$end" --format text
echo
echo "== ashbot report --end $end --format json"
bin/ashbot report --end "$end" --format json
echo
mkdir -p out
echo "== ashbot report --end $end --format png --out out/weekly-report.png"
bin/ashbot report --end "$end" --format png --out out/weekly-report.png
echo "the chart is at $(pwd)/out/weekly-report.png"
