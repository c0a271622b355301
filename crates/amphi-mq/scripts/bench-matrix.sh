#!/usr/bin/env bash
# Runs `amphi-mq bench` for 1x1, 4x4 and 1x16 (publishers x subscribers), 128 B and 4 KiB
# payloads, against `amphi-mq serve` (separate processes: the default policy, drop-oldest, and
# --policy block) and, when nats-server is installed, against nats-server with the same client
# code.
#
# Usage: crates/amphi-mq/scripts/bench-matrix.sh [seconds per run]   (from the workspace root)
set -euo pipefail
secs="${1:-3}"
bin="${CARGO_TARGET_DIR:-target}/release/amphi-mq"
cargo build --release -p amphi-mq >/dev/null
amphi_port=25900
nats_port=25901
block_port=25902

"$bin" serve --listen "127.0.0.1:$amphi_port" >/dev/null &
amphi_pid=$!
"$bin" serve --listen "127.0.0.1:$block_port" --policy block >/dev/null &
block_pid=$!
nats_pid=
if command -v nats-server >/dev/null; then
    nats-server -a 127.0.0.1 -p "$nats_port" >/dev/null 2>&1 &
    nats_pid=$!
fi
trap 'kill $amphi_pid $block_pid ${nats_pid:+$nats_pid} 2>/dev/null || true' EXIT
sleep 1

for shape in "1 1" "4 4" "1 16"; do
    set -- $shape
    for size in 128 4096; do
        echo "== policy drop-oldest"
        "$bin" bench --addr "127.0.0.1:$amphi_port" -p "$1" -s "$2" --size "$size" --duration "$secs"
        echo "== policy block"
        "$bin" bench --addr "127.0.0.1:$block_port" -p "$1" -s "$2" --size "$size" --duration "$secs"
        if [ -n "$nats_pid" ]; then
            "$bin" bench --nats "127.0.0.1:$nats_port" -p "$1" -s "$2" --size "$size" --duration "$secs"
        fi
    done
done
# Latency when nobody is saturated: 1x1, 128 B, 50 000 msg/s.
"$bin" bench --addr "127.0.0.1:$amphi_port" --rate 50000 --duration "$secs"
if [ -n "$nats_pid" ]; then
    "$bin" bench --nats "127.0.0.1:$nats_port" --rate 50000 --duration "$secs"
fi
