# Container image (Dockerfile). Included by the top Makefile.
#
#   make image          build ashbot:$(VERSION) with docker, podman or buildah
#   make image-context  only stage the build context in build/image
#   make test-image     install buildah when no builder is present, then run
#                       the image test (build, config check inside, health
#                       probe), which `make test` skips without buildah

.PHONY: image image-context test-image

image:
	@VERSION=$(VERSION) scripts/image.sh build ashbot:$(VERSION)

image-context:
	@VERSION=$(VERSION) scripts/image.sh context build/image

test-image:
	@scripts/image.sh ensure
	$(GO) test -count=1 -run '^TestContainerImage$$' -v ./cmd/ashbot
