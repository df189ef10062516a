#!/bin/sh
# Add lrpstudio to this user's application menu (no root needed). Run it from the
# unpacked archive; it may be moved anywhere first, and run again after a move.
#   ./install.sh            install the menu entry and icon for the bundle beside it
#   ./install.sh --remove   remove them again
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
apps="$data/applications"
icons="$data/icons/hicolor/scalable/apps"
if [ "${1:-}" = "--remove" ]; then
    rm -f "$apps/lrpstudio.desktop" "$icons/lrpstudio.svg"
    echo "lrpstudio menu entry removed"
    exit 0
fi
test -x "$here/lrpstudio/lrpstudio" || { echo "$here/lrpstudio/lrpstudio: bundle not found" >&2; exit 2; }
mkdir -p "$apps" "$icons"
cp "$here/lrpstudio.svg" "$icons/lrpstudio.svg"
sed "s|@BUNDLE@|$here/lrpstudio|g" "$here/lrpstudio.desktop" > "$apps/lrpstudio.desktop"
chmod 644 "$apps/lrpstudio.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" || true
echo "lrpstudio added to the application menu ($apps/lrpstudio.desktop)"
