#!/usr/bin/env bash
# Builds the scan kiosk for Linux (Debian 12): a PyInstaller one-folder bundle
# and a Debian package that installs it to /opt/scan-kiosk.
#
#   packaging/build.sh            # onnx engine: dist/onnx/scan-kiosk/ and dist/scan-kiosk_VERSION_ARCH.deb
#   packaging/build.sh --paddle   # + the paddle engine: dist/paddle/scan-kiosk/ and dist/scan-kiosk-paddle_VERSION_ARCH.deb
#   packaging/build.sh --no-deb   # the bundle only
#   packaging/build.sh --ci       # build, then check (packaging/check.sh): the bundle's self-test with
#                                 # the network blocked, and as root `dpkg -i` + the installed self-test
#
# Environment: DIST (default dist/), BUILD (default build/; both gitignored),
# DEB_COMPRESS (zstd, xz, gzip or none; default zstd: 155 MB in seconds; xz: 130 MB in
# minutes; Debian 12 dpkg reads both), DEB_MAINTAINER.
# Runs scripts/setup.sh first (apt packages, .venv), then installs PyInstaller
# (the `package` extra in pyproject.toml) and binutils (PyInstaller runs objdump).
set -euo pipefail
export LC_NUMERIC=C
cd "$(dirname "$0")/.."
ROOT=$PWD

VARIANT=onnx
MAKE_DEB=1
CHECK=0
for arg in "$@"; do
  case "$arg" in
    --paddle) VARIANT=paddle ;;
    --onnx) VARIANT=onnx ;;
    --no-deb) MAKE_DEB=0 ;;
    --ci) CHECK=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
DIST=$(realpath -m "${DIST:-$ROOT/dist}")
BUILD=$(realpath -m "${BUILD:-$ROOT/build}")
DEB_COMPRESS=${DEB_COMPRESS:-zstd}
DEB_MAINTAINER=${DEB_MAINTAINER:-Scan kiosk maintainers <scan-kiosk@example.org>}
PY=.venv/bin/python

say() { printf '[build] %s\n' "$*"; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

started=$(now)

# -- 1. the development install (apt packages, .venv with the app and its models)
scripts/setup.sh

# -- 2. build tools: objdump and strip (binutils) for PyInstaller, the shared
#       libpython it embeds (Debian's python3.11 is static), PyInstaller itself
need_apt=()
command -v objdump >/dev/null || need_apt+=(binutils)
command -v dpkg-deb >/dev/null || need_apt+=(dpkg)
if [ "$($PY -c 'import sysconfig; print(sysconfig.get_config_var("Py_ENABLE_SHARED") or 0)')" != 1 ]; then
  dpkg -s libpython3.11 >/dev/null 2>&1 || need_apt+=(libpython3.11)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing build packages: ${need_apt[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if ! $PY -c 'import PyInstaller' 2>/dev/null; then
  mapfile -t pyinstaller_req < <($PY - <<'EOF'
import tomllib
extras = tomllib.load(open("pyproject.toml", "rb"))["project"].get("optional-dependencies", {})
print(*(extras.get("package") or ["pyinstaller>=6.10,<7"]), sep="\n")
EOF
)
  say "installing ${pyinstaller_req[*]} into .venv"
  $PY -m pip --disable-pip-version-check -q install "${pyinstaller_req[@]}"
fi
if [ "$VARIANT" = paddle ] && ! $PY -c 'import paddle, paddleocr, rapidocr_paddle' 2>/dev/null; then
  echo "build.sh: the paddle variant needs paddlepaddle, paddleocr and rapidocr_paddle in .venv (scripts/setup.sh installs them)" >&2
  exit 1
fi

# -- 3. the bundle
OUT="$DIST/$VARIANT"
WORK="$BUILD/pyinstaller-$VARIANT"
BUNDLE="$OUT/scan-kiosk"
say "PyInstaller ($VARIANT engine) -> $BUNDLE"
rm -rf "$WORK/stage"  # samples and fonts are made afresh each build
bundle_started=$(now)
KIOSK_VARIANT=$VARIANT $PY -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$OUT" --workpath "$WORK" packaging/kiosk.spec
# The interpreter's own debug symbols (pyenv builds keep them); the wheels' libraries are
# left alone: stripping their patchelf-repaired copies breaks them.
for lib in "$BUNDLE"/_internal/libpython3*.so* "$BUNDLE"/_internal/python3*/lib-dynload/*.so; do
  [ -f "$lib" ] && [ ! -L "$lib" ] && strip --strip-debug "$lib" 2>/dev/null || true
done
bundle_seconds=$(since "$bundle_started")
for model in rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx \
  rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx fastmrz/model/mrz_seg.onnx rapidocr/models/PP-OCRv6_rec_small.onnx \
  selftest/expected.json resources/fonts/OCRB.otf resources/models/mrz_rows.onnx; do
  [ -f "$BUNDLE/_internal/$model" ] || { echo "build.sh: $model is missing from the bundle" >&2; exit 1; }
done
bundle_size=$(du -sh "$BUNDLE" | cut -f1)
say "bundle: $BUNDLE ($bundle_size, ${bundle_seconds} s)"

# -- 4. the Debian package
if [ "$MAKE_DEB" = 1 ]; then
  VERSION=$($PY -c 'import kiosk; print(kiosk.__version__)')
  ARCH=$(dpkg --print-architecture)
  if [ "$VARIANT" = onnx ]; then
    PACKAGE=scan-kiosk
    RELATIONS="Conflicts: scan-kiosk-paddle"
  else
    PACKAGE=scan-kiosk-paddle
    RELATIONS=$'Provides: scan-kiosk\nConflicts: scan-kiosk\nReplaces: scan-kiosk'
  fi
  DEB="$DIST/${PACKAGE}_${VERSION}_${ARCH}.deb"
  STAGE="$BUILD/deb-$VARIANT"
  say "Debian package -> $DEB"
  deb_started=$(now)
  rm -rf "$STAGE"
  mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
    "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/share/scan-kiosk/autostart" \
    "$STAGE/usr/lib/systemd/user" "$STAGE/usr/share/xsessions" "$STAGE/usr/share/doc/$PACKAGE"
  cp -al "$BUNDLE" "$STAGE/opt/scan-kiosk" 2>/dev/null || cp -a "$BUNDLE" "$STAGE/opt/scan-kiosk"  # hard links: no second copy
  install -m 755 packaging/debian/scan-kiosk.sh "$STAGE/usr/bin/scan-kiosk"
  install -m 755 packaging/debian/scan-kiosk-autostart.sh "$STAGE/usr/bin/scan-kiosk-autostart"
  install -m 755 packaging/debian/scan-kiosk-session.sh "$STAGE/usr/bin/scan-kiosk-session"
  install -m 644 packaging/debian/scan-kiosk.xsession.desktop "$STAGE/usr/share/xsessions/scan-kiosk.desktop"
  install -m 644 packaging/debian/scan-kiosk.desktop "$STAGE/usr/share/applications/scan-kiosk.desktop"
  install -m 644 packaging/debian/scan-kiosk-autostart.desktop "$STAGE/usr/share/scan-kiosk/autostart/scan-kiosk.desktop"
  install -m 644 packaging/debian/scan-kiosk.service "$STAGE/usr/lib/systemd/user/scan-kiosk.service"
  install -m 644 packaging/scan-kiosk.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/scan-kiosk.svg"
  {
    echo "scan-kiosk $VERSION: AGPL-3.0-or-later (full text: /opt/scan-kiosk/_internal/LICENSE)."
    echo "Bundled fonts: OCR-B (public domain) and DejaVu (Bitstream Vera licence);"
    echo "their notices are in /opt/scan-kiosk/_internal/resources/fonts/LICENSE-*.txt."
    echo "Bundled Python packages and Qt keep their own licences inside /opt/scan-kiosk/_internal."
  } > "$STAGE/usr/share/doc/$PACKAGE/copyright"
  install -m 755 packaging/debian/postrm "$STAGE/DEBIAN/postrm"
  installed_kb=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
  sed -e "s|@PACKAGE@|$PACKAGE|" -e "s|@VERSION@|$VERSION|" -e "s|@ARCH@|$ARCH|" \
    -e "s|@MAINTAINER@|$DEB_MAINTAINER|" -e "s|@INSTALLED_SIZE@|$installed_kb|" -e "s|@VARIANT@|$VARIANT|" \
    packaging/debian/control.in | awk -v rel="$RELATIONS" '$0 == "@RELATIONS@" { print rel; next } { print }' \
    > "$STAGE/DEBIAN/control"
  chmod -R u+rwX,go+rX,go-w "$STAGE"
  compress=(-Z"$DEB_COMPRESS")
  case "$DEB_COMPRESS" in xz) compress+=(-z6) ;; zstd) compress+=(-z9) ;; esac
  mkdir -p "$DIST"
  dpkg-deb --root-owner-group "${compress[@]}" --build "$STAGE" "$DEB" >/dev/null
  rm -rf "$STAGE"
  say "deb: $DEB ($(du -h "$DEB" | cut -f1), $(since "$deb_started") s)"
fi

say "done in $(since "$started") s: bundle $bundle_size at $BUNDLE"
if [ "$CHECK" = 1 ]; then
  exec packaging/check.sh "$BUNDLE" ${DEB:-}
fi
