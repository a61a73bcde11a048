#!/bin/sh
# Installs this zops release (made by `npm run release`) without npm, a compiler or the checkout:
#   tar xzf zops-<version>-linux-x64.tgz && sh package/install.sh [--prefix /usr/local] [--node /usr/bin/node]
# Files go to PREFIX/lib/zops.d/<version>-<time>/; PREFIX/lib/zops is a symlink to it, switched atomically, so a zops
# already running keeps its files (the previous release is kept, older ones removed). The command PREFIX/bin/zops
# runs the release with an absolute node path, because PostgreSQL's archive_command and restore_command run with the
# postmaster's PATH. Run it again with a newer release to upgrade; to uninstall, remove PREFIX/bin/zops,
# PREFIX/lib/zops and PREFIX/lib/zops.d.
set -eu

usage() {
  echo "usage: sh install.sh [--prefix DIR (default /usr/local)] [--node PATH (default: node on PATH)]"
}
die() {
  echo "install.sh: $1" >&2
  exit "${2:-1}"
}

prefix=/usr/local
node=
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory" 64; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --node) [ $# -ge 2 ] || die "--node needs a path" 64; node=$2; shift 2 ;;
    --node=*) node=${1#--node=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" 64 ;;
  esac
done
[ -n "$node" ] || node=$(command -v node) ||
  die "node not found on PATH: install Node.js 20.19 or later, or pass --node"
for path in "$prefix" "$node"; do
  case "$path" in
    /*) ;;
    *) die "'$path' is not an absolute path" 64 ;;
  esac
  case "$path" in
    *[!A-Za-z0-9_./+-]*) die "'$path' has characters a PostgreSQL archive_command would need quoted: pick another" 64 ;;
  esac
done
"$node" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a * 100 + b >= 2019 ? 0 : 1)' ||
  die "Node.js $("$node" --version) at $node is too old: zops needs 20.19 or later"

here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/package.json" ] && [ -f "$here/dist/bin/zops.js" ] && [ -d "$here/node_modules/zstd-napi" ] ||
  die "$here is not an unpacked release: run the install.sh inside one (npm run release makes it)"
version=$("$node" -p 'require(process.argv[1]).version' "$here/package.json")
name="$version-$(date -u +%Y%m%dT%H%M%SZ)"
releases="$prefix/lib/zops.d"
link="$prefix/lib/zops"
if [ -e "$link" ] && [ ! -L "$link" ]; then
  die "$link exists and is not a symlink made by install.sh: move it away first"
fi
previous=$(readlink "$link" 2>/dev/null || true)
previous=${previous#zops.d/}
mkdir -p "$releases" "$prefix/bin"
staging="$releases/.installing-$$"
rm -rf "$staging"
trap 'rm -rf "$staging" "$link.new-$$" "$prefix/bin/.zops.new-$$"' EXIT
cp -R "$here" "$staging"
chmod -R u+rwX,go+rX,go-w "$staging"
chmod 755 "$releases"

# The zstd binding was compiled for one OS and CPU: prove it loads here before switching anything.
"$node" -e 'require(process.argv[1]).compress(Buffer.from("zops"))' "$staging/node_modules/zstd-napi" 2>/dev/null ||
  die "the zstd binding in this release does not load on $(uname -sm) with Node $("$node" --version): build a release
  on this platform instead (npm ci && npm run release)"
"$node" "$staging/dist/bin/zops.js" --version >/dev/null ||
  die "the release does not start: $node $staging/dist/bin/zops.js --version"

while [ -e "$releases/$name" ]; do name="$name-x"; done
mv "$staging" "$releases/$name"
ln -s "zops.d/$name" "$link.new-$$"
mv -fT "$link.new-$$" "$link"

cat >"$prefix/bin/.zops.new-$$" <<WRAPPER
#!/bin/sh
# zops $version, installed by install.sh: runs $link (-> zops.d/$name) with $node.
# ZOPS_SELF makes the commands zops writes for later (restore_command, the WAL pusher) call this same entry.
ZOPS_SELF=$prefix/bin/zops
export ZOPS_SELF
exec $node $link/dist/bin/zops.js "\$@"
WRAPPER
chmod 755 "$prefix/bin/.zops.new-$$"
mv -f "$prefix/bin/.zops.new-$$" "$prefix/bin/zops"

# Keep the release just installed and the one it replaced (a zops started before this install may still use it).
for old in "$releases"/*; do
  case "${old##*/}" in
    "$name" | "$previous") ;;
    *) rm -rf "$old" ;;
  esac
done
echo "installed zops $version: $prefix/bin/zops -> $releases/$name"
