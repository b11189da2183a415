#!/usr/bin/env bash
# Build a busybox image (busybox --install'ed, sh by default) from Debian's static
# /bin/busybox, without pulling anything: FROM scratch, the classic builder, no network.
#
#   scripts/busybox-image.sh TAG     exit 0 if TAG exists or was built; 1 with a reason if not
#
# scripts/services.sh builds the tests' pilothouse/busybox:test with it; `make up` builds
# pilothouse/busybox:local for the examples under examples/.
set -euo pipefail

readonly BUSYBOX=/bin/busybox
tag=${1:?usage: scripts/busybox-image.sh TAG}

if ! timeout 15 docker info >/dev/null 2>&1; then
    echo "busybox-image: the Docker engine does not answer; $tag not built" >&2
    exit 1
fi
if timeout 15 docker image inspect "$tag" >/dev/null 2>&1; then
    exit 0
fi
# A static binary runs in an image with nothing else in it; ldd fails on static binaries.
if [[ ! -x $BUSYBOX ]] || ldd "$BUSYBOX" >/dev/null 2>&1; then
    echo "busybox-image: need a statically linked $BUSYBOX (apt-get install busybox-static)" >&2
    exit 1
fi
echo "busybox-image: building $tag from $BUSYBOX"
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$BUSYBOX" "$context/busybox"
# The exec-form RUN needs no shell in the image.
cat >"$context/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["/bin/sh"]
DOCKERFILE
DOCKER_BUILDKIT=0 timeout 300 docker build --network none -q -t "$tag" "$context" >/dev/null
