# The gateway as one static binary on a distroless base: no shell, no package manager, nothing
# running as root, so a compromised process has as little as possible to work with.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so editing the source does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off for a binary that runs on a base with no libc; -trimpath keeps the build machine's
# paths out of it.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/onestop ./cmd/onestop \
 && mkdir -p /out/data

# distroless/static carries CA certificates (outbound aggregator APIs) and tzdata (callbacks
# only inside each survivor's safe hours, in her local time).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/onestop /onestop
# A new named volume copies this directory's owner, so the nonroot user can write the database
# and create the sealing key. The key should still be given from outside (ONESTOP_SEAL_KEY or
# ONESTOP_SEAL_KEY_FILE from a secret) so that a copy of the volume alone reveals no caller.
COPY --from=build --chown=nonroot:nonroot /out/data /data
VOLUME /data
# A container is reached only through its own interfaces, so the gateway listens on all of them;
# serve then refuses to start unless the webhooks are authenticated: give ONESTOP_WEBHOOK_TOKEN
# (or ONESTOP_WEBHOOK_USER and ONESTOP_WEBHOOK_PASSWORD) at run time, never in the image:
#   docker run -p 8080:8080 -v onestop-data:/data -v /srv/onestop/secrets:/run/secrets:ro \
#     -e ONESTOP_SEAL_KEY_FILE=/run/secrets/seal.key -e ONESTOP_WEBHOOK_TOKEN="$(cat webhook.token)" onestop
ENV ONESTOP_DATA=/data ONESTOP_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
# No HEALTHCHECK: the image has no curl or shell to run one. GET /healthz is the probe for the
# orchestrator (a Kubernetes httpGet probe, or a check from the load balancer); it answers 503
# when the store cannot take a write or the sealing key does not fit the data.
ENTRYPOINT ["/onestop"]
CMD ["serve"]
