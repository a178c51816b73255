#!/usr/bin/env bash
# test/real/install.sh CACHE - installs the real VS Code the extension is tested
# in: code-server 4.100.3 (= VS Code 1.100.3, the last release that runs on
# Node 20) and puppeteer-core 24 (drives Debian's chromium), into CACHE (kept
# between runs: about 4.5 minutes and 1.2 GB when cold, nothing when warm).
# Prints the code-server path on its last line. Needs Node 20 with its headers
# in /usr/include/node, Debian's chromium, ripgrep and a C++ compiler
# (scripts/deps test). See docs/vscode-real.md for why each odd step.
set -euo pipefail
CS_VERSION=4.100.3
PUPPETEER_VERSION=24
cache=${1:?usage: install.sh CACHE}
cs=$cache/code-server-$CS_VERSION
driver=$cache/puppeteer-core-$PUPPETEER_VERSION
mkdir -p "$cache"

# a folder is complete only when its stamp exists: an interrupted install is redone
if [ ! -f "$cs/.complete" ]; then
    echo "# installing code-server $CS_VERSION into $cs (a few minutes, once)" >&2
    rm -rf "$cs"
    mkdir -p "$cs"
    export npm_config_nodedir=/usr # node-gyp uses the local headers, no download
    export npm_config_yes=true     # node-pty's rebuild runs `npx node-gyp`
    # --ignore-scripts: code-server's postinstall downloads ripgrep from GitHub
    npm install --prefix "$cs" --ignore-scripts --omit=dev --no-audit --no-fund \
        "code-server@$CS_VERSION" >&2
    (cd "$cs" && npm rebuild argon2 >&2)
    vs=$cs/node_modules/code-server/lib/vscode
    (
        cd "$vs"
        npm install --omit=dev --ignore-scripts --no-audit --no-fund >&2
        # @vscode/ripgrep skips its download when its bin/ exists: Debian's rg
        mkdir -p node_modules/@vscode/ripgrep/bin
        ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
        npm rebuild >&2 # node-pty, spdlog, watcher, kerberos
        # the rest of code-server's postinstall.sh
        ln -sfn node_modules node_modules.asar
        (cd bin/remote-cli && ln -sf code-linux.sh code-server)
        (cd bin/helpers && ln -sf browser-linux.sh browser.sh)
        (cd extensions && npm install --omit=dev --no-audit --no-fund >&2)
    )
    "$cs/node_modules/.bin/code-server" --version >&2
    touch "$cs/.complete"
fi
if [ ! -f "$driver/.complete" ]; then
    echo "# installing puppeteer-core $PUPPETEER_VERSION into $driver" >&2
    rm -rf "$driver"
    mkdir -p "$driver"
    npm install --prefix "$driver" --no-audit --no-fund "puppeteer-core@$PUPPETEER_VERSION" >&2
    touch "$driver/.complete"
fi
echo "$cs/node_modules/.bin/code-server"
echo "$driver/node_modules"
