#!/usr/bin/env bash
# Install the Debian packages the project needs, skipping what is already present. Safe to repeat.
#   chromium        browser tests (Playwright drives Debian's build; a browser download does not work here)
#                   and static chart export (kaleido finds it on PATH)
#   fonts-noto-cjk  Chinese glyphs for screenshots, static charts and rendered documents
#   libreoffice-writer libreoffice-impress libreoffice-calc poppler-utils
#                   render the exported 情况通报, 催报函, deck and workbooks to PDF (soffice --headless) and PNG
#                   (pdftoppm): the render tests look at what staff will print, and CI must run them
#   fonts-crosextra-carlito  metric-compatible stand-in for Calibri, so Latin text in Office files lays out as in Office
# Usage: scripts/system_deps.sh [--soft]
#   --soft  (make run) when packages are missing and we are not root, print the sudo line and carry on;
#           without it (make test) the same situation is an error, because tests would fail obscurely later.
set -euo pipefail

soft=0
[ "${1:-}" = "--soft" ] && soft=1

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ! fc-list :lang=zh 2>/dev/null | grep -q "Noto Sans CJK"; then
  missing+=(fonts-noto-cjk)
fi
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
# LibreOffice is one unit for this check: when soffice and pdftoppm both exist, the set is taken as installed.
if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  missing+=(libreoffice-writer libreoffice-impress libreoffice-calc poppler-utils fonts-crosextra-carlito)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "安装系统软件包：${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "缺少系统软件包：${missing[*]}。请用管理员权限运行下面这一行，然后重新执行 make："
echo "  sudo sh -c '$line'"
if [ $soft -eq 1 ]; then
  echo "（看板仍会启动；浏览器测试和图表导出需要这些软件包。）"
  exit 0
fi
exit 1
