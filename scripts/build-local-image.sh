#!/usr/bin/env bash
# Builds a small local image (no registry needed) holding this machine's nginx, haproxy and node, for the
# Docker runtime tests: edgegen up --runtime docker --image proxy=IMAGE --image loadBalancer=IMAGE --image service=IMAGE
# Usage: scripts/build-local-image.sh [IMAGE]   (default edgegen-local:test)
set -euo pipefail
image="${1:-edgegen-local:test}"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
copy() { # a file and the shared libraries it needs, at the same paths
  local f="$1"
  mkdir -p "$root$(dirname "$f")"; cp -L "$f" "$root$f"
  ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; done
}
for bin in "$(command -v nginx || echo /usr/sbin/nginx)" "$(command -v haproxy || echo /usr/sbin/haproxy)" "$(command -v node)" /bin/sh; do copy "$bin"; done
if [ -d /usr/lib/nginx/modules ]; then
  for m in /usr/lib/nginx/modules/*.so; do copy "$m"; done
fi
mkdir -p "$root/tmp" "$root/etc" "$root/var/run" "$root/run"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
tar -C "$root" -c . | docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image" >/dev/null
echo "$image"
