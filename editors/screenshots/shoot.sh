#!/bin/sh
# shoot.sh renders docs/img/editors-vscode.png and docs/img/editors-vim.png:
# a sample highlighted by the VS Code grammar (tokenized by vscode-textmate,
# editors/vscode/test/render.js) and by the Vim syntax file (Vim's own
# :TOhtml), each page rendered by headless Chromium. Run from the
# repository's root after `npm ci --ignore-scripts` in editors/vscode:
#
#     sh editors/screenshots/shoot.sh
set -eu
file=models/char_lstm.nn
first=14
last=51
size=940,780
scheme=desert
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$(pwd)

(cd editors/vscode && node test/render.js "$root/$file" $first $last) > "$tmp/vscode.html"
NN_SCHEME=$scheme NN_RTP="$root/editors/vim" NN_FILE="$root/$file" NN_FIRST=$first NN_LAST=$last NN_OUT="$tmp/vim.html" \
	vim -N -u NONE -i NONE -n -es -S editors/screenshots/tohtml.vim >/dev/null

for page in vscode vim; do
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--disable-background-networking --user-data-dir="$tmp/profile" \
		--window-size=$size --screenshot="$tmp/$page.png" "file://$tmp/$page.html" 2>/dev/null
	cp "$tmp/$page.png" "docs/img/editors-$page.png"
done
ls -l docs/img/editors-vscode.png docs/img/editors-vim.png
