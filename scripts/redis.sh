#!/usr/bin/env bash
# Private redis-server for make targets: installs it from Debian packages
# when missing, starts it on a free loopback port with its data in a
# temporary directory, and stops it again.
#
#   scripts/redis.sh ensure        install redis-server if it is missing
#   scripts/redis.sh start DIR     start a server in DIR; prints its port
#   scripts/redis.sh stop DIR      stop that server and remove DIR
set -euo pipefail

ensure() {
	if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
		return
	fi
	echo "redis-server not found: installing it from Debian packages" >&2
	local sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	$sudo apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools >&2
	# The package starts a system-wide server on 6379; ashbot's tools use
	# their own private servers, so leave the machine as it was.
	$sudo service redis-server stop >/dev/null 2>&1 || true
}

free_port() {
	# Ask the kernel for a free loopback port.
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}

start() {
	local dir=$1
	mkdir -p "$dir"
	for _ in 1 2 3 4 5; do
		local port
		port=$(free_port)
		if redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
			--daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null 2>&1; then
			for _ in $(seq 50); do
				if redis-cli -p "$port" ping >/dev/null 2>&1; then
					echo "$port" >"$dir/port"
					echo "$port"
					return
				fi
				sleep 0.1
			done
			stop "$dir" keep
		fi
	done
	echo "could not start redis-server (see $dir/redis.log)" >&2
	exit 1
}

stop() {
	local dir=$1
	if [ -f "$dir/redis.pid" ]; then
		local pid
		pid=$(cat "$dir/redis.pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		rm -f "$dir/redis.pid"
	fi
	if [ "${2:-}" != keep ]; then rm -rf "$dir"; fi
}

case "${1:-}" in
ensure) ensure ;;
start) start "$2" ;;
stop) stop "$2" ;;
*)
	echo "usage: $0 ensure | start DIR | stop DIR" >&2
	exit 2
	;;
esac
