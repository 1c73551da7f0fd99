#!/usr/bin/env bash
# make demo: a private Redis; the real bot against the local Discord,
# Ash-NLP and Anthropic stand-ins through a week in miniature, then that week's report (text, JSON
# and the chart in out/weekly-report.png); then the recorder on its own,
# importing a bigger sample week of lifecycle events.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(mktemp -d /tmp/ashbot-demo.XXXXXX)
trap 'scripts/redis.sh stop "$dir"' EXIT
port=$(scripts/redis.sh start "$dir")
echo "== private redis-server on 127.0.0.1:$port"

export BOT_REDIS_HOST=127.0.0.1 BOT_REDIS_PORT=$port BOT_LOG_FORMAT=text BOT_LOG_LEVEL=error BOT_HTTP_ADDR=
# The demo team's response targets, so the report shows how the week met them.
export BOT_REPORT_TARGETS=acknowledge=5m,first_response=15m,resolve=2h,critical.acknowledge=2m
# Both parts act out the 7 days that ended the day before yesterday, so
# that even their latest events lie safely in the past.
start=$(date -u -d '8 days ago' +%F)
end=$(date -u -d '2 days ago' +%F)
mkdir -p out

echo
echo "== part 1: ashbot demo (the bot, a simulated Discord server, Ash-NLP and model, a week of alerts)"
bin/ashbot demo --png out/weekly-report.png
echo
echo "== ashbot report --end $end --format json"
bin/ashbot report --end "$end" --format json
echo "the chart is at $(pwd)/out/weekly-report.png"

echo
echo "== part 2: the recorder alone, on a bigger sample week (Redis database 1)"
export BOT_REDIS_DB=1
echo "== ashbot events import --shift-to $start testdata/sample-week.jsonl"
bin/ashbot events import --shift-to "$start" testdata/sample-week.jsonl
echo "== the same file again: every event is a duplicate"
bin/ashbot events import --shift-to "$start" testdata/sample-week.jsonl
echo
echo "== ashbot report --end $end --format text"
bin/ashbot report --end "$end" --format text
