#!/bin/sh
# Make a minimal root filesystem tarball from the host's busybox-static: the local image
# scopebox imports when no registry is reachable. Usage: busybox-rootfs.sh OUT.tar
set -eu
out=${1:?usage: busybox-rootfs.sh OUT.tar}
bb=$(command -v busybox) || { echo "busybox-rootfs.sh: install busybox-static" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/home"
cp "$bb" "$dir/bin/busybox"
for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$dir/bin/$applet"
done
chmod 755 "$dir"
chmod 1777 "$dir/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
tar --numeric-owner --owner=0 --group=0 -C "$dir" -cf "$out" .
