# ashbot's container image: the static binary from `make build`
# (CGO_ENABLED=0) on an empty base, run as a non-root user.
#
# `make image` stages the build context (build/image/: the binary, the CA
# certificates Discord's and the model APIs' TLS needs, a passwd file naming
# the user) and builds this file with docker, podman or buildah, whichever is
# present. Building it by hand: `make image-context` then
# `docker build -f Dockerfile build/image`.
FROM scratch

COPY passwd group /etc/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY ashbot /ashbot

# Health and metrics on the earlier Ash-Bot's port, so its compose file's
# port mapping keeps working; JSON logs on stdout for the container runtime.
ENV BOT_HTTP_ADDR=:30881 \
    BOT_LOG_FORMAT=json
EXPOSE 30881

USER 10001:10001

# No curl in a scratch image: the binary probes its own /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/ashbot", "healthcheck"]

ENTRYPOINT ["/ashbot"]
CMD ["run"]
