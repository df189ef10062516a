#!/bin/sh
# Pack the one-folder bundle into lrpstudio-<version>-linux-<arch>.tar.gz with a
# .desktop file, the icon and install.sh. Usage: make_tarball.sh DIST_DIR
# (DIST_DIR holds the bundle folder `lrpstudio/`; the archive is written there too).
set -eu
dist=${1:-packaging/dist}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
test -x "$dist/lrpstudio/lrpstudio" || { echo "$dist/lrpstudio/lrpstudio: build the bundle first (make package)" >&2; exit 2; }
version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$root/lrpstudio/__init__.py")
name="lrpstudio-$version-linux-$(uname -m)"
stage="$dist/.stage-$name"
rm -rf "$stage" && mkdir -p "$stage/$name"
# Hard links, not copies: staging a multi-GB bundle costs no disk and no time.
cp -al "$(cd "$dist" && pwd)/lrpstudio" "$stage/$name/lrpstudio" 2>/dev/null || cp -a "$dist/lrpstudio" "$stage/$name/lrpstudio"
cp "$here/lrpstudio.desktop" "$here/install.sh" "$stage/$name/"
cp "$root/resources/icons/app.svg" "$stage/$name/lrpstudio.svg"
chmod 755 "$stage/$name/install.sh"
gz=gzip; command -v pigz >/dev/null 2>&1 && gz=pigz
start=$(date +%s)
tar -C "$stage" -cf - "$name" | $gz -6 > "$dist/$name.tar.gz.tmp"
mv "$dist/$name.tar.gz.tmp" "$dist/$name.tar.gz"
rm -rf "$stage"
echo "archive in $(( $(date +%s) - start )) s: $(du -h "$dist/$name.tar.gz" | cut -f1) $dist/$name.tar.gz"
