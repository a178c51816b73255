#!/bin/sh
# The engine knows nothing of JSON, LSP or libuv: no file of it may include
# jansson, libuv or the protocol layer. Prints the suite's summary line.
dir=${1:-.}
bad=$(grep -lE '#[[:space:]]*include[[:space:]]*[<"](jansson|uv|uv/.*|endpoint|jsonrpc|transport)\.h[>"]' "$dir"/*.c "$dir"/*.h 2>/dev/null)
if [ -n "$bad" ]; then
    echo "engine files include JSON/libuv/protocol headers: $bad" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
echo "1 passed, 0 failed"
