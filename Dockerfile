# Dockerfile - berth from source, for machines that can pull from a registry:
#   docker build -t berth:latest \
#     --build-arg BERTH_VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1) \
#     --build-arg BERTH_REVISION=$(git rev-parse HEAD) \
#     --build-arg BERTH_CREATED=$(git log -1 --format=%cI) .
# Without a registry (or to package a binary built on the host) use scripts/build-image,
# which builds the same runtime stage from scripts/Dockerfile.local.
#
# The result is FROM scratch: one static binary /berth, /data for the SQLite database, /tmp.
# It runs as root: it needs the Docker socket, whose group differs from host to host, and
# access to that socket is root-equivalent anyway.

# ---- build: a static glibc binary (no musl target needed) ----
FROM rust:1-bookworm AS build
WORKDIR /src
ENV RUSTFLAGS="-C target-feature=+crt-static"
# The dependencies first (build-dependencies too), compiled against stub sources
# (src/main.rs, src/lib.rs, build.rs): this layer is rebuilt only when
# Cargo.toml or Cargo.lock change, not on every source edit. It is only a cache: should the
# stub not build (say, a target declared in Cargo.toml), the next step compiles everything.
# --target: RUSTFLAGS then apply to berth and its libraries only, not to build scripts and
# proc-macros (which cannot be linked statically). The target is the build machine's.
COPY Cargo.toml Cargo.lock ./
RUN target=$(rustc -vV | sed -n 's/^host: //p') \
 && mkdir src && echo 'fn main() {}' > src/main.rs && : > src/lib.rs && echo 'fn main() {}' > build.rs \
 && cargo fetch --locked \
 && { cargo build --release --locked --target "$target" || echo "dependency pre-build failed; the full build will do it"; } \
 && cargo clean --release --target "$target" -p berth \
 && rm -rf src build.rs
COPY . .
RUN target=$(rustc -vV | sed -n 's/^host: //p') \
 && cargo build --release --locked --target "$target" --bin berth \
 && bin=target/$target/release/berth \
 && ldd "$bin" 2>&1 | grep -Eq 'statically linked|not a dynamic executable' \
 && mkdir -p /rootfs/data /rootfs/tmp && chmod 0700 /rootfs/data && chmod 1777 /rootfs/tmp \
 && cp "$bin" /rootfs/berth

FROM scratch AS rootfs
COPY --from=build /rootfs/ /

# ---- runtime: identical in Dockerfile and scripts/Dockerfile.local (scripts/build-image checks) ----
FROM scratch AS runtime
COPY --from=rootfs / /
# MALLOC_MMAP_THRESHOLD_: large Docker answers (the task list at 10,000 tasks is ~7 MB) are
# mapped and handed back to the system when freed, instead of staying in glibc's heap
# (measured: RSS 64 -> 41 MiB at 10,000 tasks after the first reconcile).
ENV BERTH_LISTEN=0.0.0.0:9000 \
    BERTH_DATA_DIR=/data \
    MALLOC_MMAP_THRESHOLD_=131072
EXPOSE 9000 9443
VOLUME /data
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/berth", "healthcheck"]
ENTRYPOINT ["/berth"]
CMD ["serve"]
ARG BERTH_VERSION=dev
ARG BERTH_REVISION=unknown
ARG BERTH_CREATED=1970-01-01T00:00:00Z
ARG BERTH_SOURCE=
LABEL org.opencontainers.image.title="berth" \
      org.opencontainers.image.description="A fast, small, secure web dashboard for Docker Swarm" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${BERTH_SOURCE}" \
      org.opencontainers.image.version="${BERTH_VERSION}" \
      org.opencontainers.image.revision="${BERTH_REVISION}" \
      org.opencontainers.image.created="${BERTH_CREATED}"
