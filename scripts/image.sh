#!/usr/bin/env bash
# Container image of ashbot (see Dockerfile).
#
#   scripts/image.sh context DIR    stage the build context in DIR
#   scripts/image.sh build TAG      stage build/image and build TAG with
#                                   docker, podman or buildah (first found
#                                   that works; buildah with vfs storage and
#                                   chroot isolation needs no daemon)
#   scripts/image.sh ensure         install buildah from Debian packages
#                                   when no builder is present
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-$(git describe --always --dirty 2>/dev/null || echo dev)}

context() {
	local dir=$1
	rm -rf "$dir" && mkdir -p "$dir"
	CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X github.com/alphabetcartel/ashbot/internal/cli.Version=$VERSION" \
		-o "$dir/ashbot" ./cmd/ashbot
	local ca=/etc/ssl/certs/ca-certificates.crt
	if [ ! -f "$ca" ]; then
		echo "image: $ca not found (Debian package ca-certificates)" >&2
		exit 1
	fi
	cp "$ca" "$dir/ca-certificates.crt"
	echo "ashbot:x:10001:10001:ashbot:/:/ashbot" >"$dir/passwd"
	echo "ashbot:x:10001:" >"$dir/group"
}

# docker and podman need a running engine; `docker --version` alone is only
# the client, so ask the engine itself.
builder() {
	if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
		echo docker
	elif command -v podman >/dev/null && podman info >/dev/null 2>&1; then
		echo podman
	elif command -v buildah >/dev/null; then
		echo buildah
	fi
}

build() {
	local tag=$1 dir=build/image
	context "$dir"
	case "$(builder)" in
	docker | podman)
		"$(builder)" build -f Dockerfile -t "$tag" "$dir"
		;;
	buildah)
		# docker format keeps HEALTHCHECK, which the OCI format drops.
		buildah --storage-driver vfs bud --isolation chroot --format docker \
			-f "$PWD/Dockerfile" -t "$tag" "$dir"
		;;
	*)
		echo "image: no docker or podman engine and no buildah; run 'scripts/image.sh ensure'" >&2
		exit 1
		;;
	esac
}

ensure() {
	[ -n "$(builder)" ] && return
	echo "no image builder found: installing buildah from Debian packages" >&2
	local sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	$sudo apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq buildah >&2
}

case "${1:-}" in
context) context "${2:?context DIR}" ;;
build) build "${2:-ashbot:$VERSION}" ;;
ensure) ensure ;;
*)
	echo "usage: $0 context DIR | build [TAG] | ensure" >&2
	exit 2
	;;
esac
