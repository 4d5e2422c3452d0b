#!/bin/sh
# check-arm.sh: the 32-bit ARM daemon, as it will run on a Pi, under qemu.
#
#   .ci/check-arm.sh              the armv7 build (make build-arm) on qemu's
#                                 default CPU
#   .ci/check-arm.sh --deb [DIST] the binary inside DIST/sensehatd_*_armhf.deb
#                                 (make deb; DIST defaults to dist) on an
#                                 ARM1176 (-cpu arm1176), the ARMv6 core of a
#                                 Pi Zero and Pi 1, which Raspberry Pi OS's
#                                 armhf must run on. First a control: the
#                                 GOARM=7 build must die there with SIGILL,
#                                 or the CPU model would let a wrong package
#                                 pass.
#
# 1. qemu-arm-static BINARY --version.
# 2. End to end: a native nats-server (deploy/nats config, random loopback
#    port) and the ARM daemon on the simulated HAT, logged in as the
#    least-privileged device user pi1. The nats CLI, as the laptop user,
#    asks for the status, sends a text and waits for the "displayed" reply,
#    and finds the micro service; then SIGTERM must end the daemon with 0.
#
# While the daemon cannot run on the simulated HAT yet, step 2 prints a
# notice and passes, unless SENSEHAT_REQUIRE_DAEMON=1.
# Needs qemu-arm-static, nats-server and nats on PATH (.ci/run installs them).
set -eu

require=${SENSEHAT_REQUIRE_DAEMON:-0}

for tool in qemu-arm-static nats-server nats; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "check-arm: $tool not found on PATH; run .ci/run or install it" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
srv=
daemon=
cleanup() {
	[ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true
	[ -z "$srv" ] || kill "$srv" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cpu=
if [ "${1:-}" = --deb ]; then
	dist=${2:-dist}
	set -- "$dist"/sensehatd_*_armhf.deb
	if [ ! -f "$1" ] || [ $# -ne 1 ]; then
		echo "check-arm: want exactly one $dist/sensehatd_*_armhf.deb, found: $*; run make clean deb" >&2
		exit 1
	fi
	echo "== $1: usr/bin/sensehatd on an ARMv6 CPU (qemu -cpu arm1176, Pi Zero / Pi 1)"
	dpkg-deb -x "$1" "$tmp/deb"
	bin=$tmp/deb/usr/bin/sensehatd
	cpu=arm1176

	echo "== control: the GOARM=7 build must not run on arm1176"
	make --no-print-directory build-arm
	rc=0
	qemu-arm-static -cpu arm1176 bin/linux_arm/sensehatd --version >"$tmp/control.log" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		cat "$tmp/control.log" >&2
		echo "check-arm: a GOARM=7 binary ran on qemu's arm1176; the CPU model does not catch ARMv7 code, so this check proves nothing" >&2
		exit 1
	fi
	echo "ok    GOARM=7 build exits with $rc on arm1176 (132 = SIGILL, illegal instruction)"
else
	make --no-print-directory build-arm
	bin=bin/linux_arm/sensehatd
fi

# From here on "$@" holds qemu's CPU option, if any.
if [ -n "$cpu" ]; then
	set -- -cpu "$cpu"
else
	set --
fi

echo "== qemu-arm-static${cpu:+ -cpu $cpu} $bin --version"
if ! version=$(qemu-arm-static "$@" "$bin" --version 2>&1); then
	printf '%s\n' "$version" >&2
	echo "check-arm: the ARM binary does not run under qemu${cpu:+ -cpu $cpu}" >&2
	exit 1
fi
printf '%s\n' "$version"
case $version in
*linux/arm*) ;;
*)
	echo "check-arm: --version does not report linux/arm" >&2
	exit 1
	;;
esac

# not_ready is for a daemon that does not do this yet: a notice, or a
# failure once SENSEHAT_REQUIRE_DAEMON=1 says it must.
not_ready() {
	echo "check-arm: NOTICE: $1" >&2
	sed 's/^/  daemon: /' "$tmp/daemon.log" >&2 || true
	if [ "$require" = 1 ]; then
		echo "check-arm: SENSEHAT_REQUIRE_DAEMON=1: failing" >&2
		exit 1
	fi
	echo "check-arm: end-to-end step skipped (set SENSEHAT_REQUIRE_DAEMON=1 to require it)"
	exit 0
}
fail() {
	echo "check-arm: $1" >&2
	sed 's/^/  daemon: /' "$tmp/daemon.log" >&2 || true
	exit 1
}

echo "== nats-server (deploy/nats/nats-server.conf)"
nats-server -c deploy/nats/nats-server.conf -a 127.0.0.1 -p -1 >"$tmp/server.log" 2>&1 &
srv=$!
port=
i=0
while [ $i -lt 50 ]; do
	port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/server.log")
	[ -z "$port" ] || break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$port" ] || {
	cat "$tmp/server.log" >&2
	echo "check-arm: nats-server did not start" >&2
	exit 1
}
url=nats://127.0.0.1:$port
echo "listening on $url"
laptop() { nats --server "$url" --user laptop --password change-me-laptop "$@"; }

echo "== ARM sensehatd${cpu:+ on $cpu} on the simulated HAT"
: >"$tmp/daemon.log"
qemu-arm-static "$@" "$bin" --nats "$url" --user pi1 --password change-me-pi1 --id pi1 \
	--display sim --joystick sim --sensors sim --state-dir "$tmp" --log-level debug \
	>"$tmp/daemon.log" 2>&1 &
daemon=$!

# qemu on a busy machine is slow to start: wait up to a minute for the
# status endpoint, watching that the daemon is still there.
status=
i=0
while [ $i -lt 60 ]; do
	if ! kill -0 "$daemon" 2>/dev/null; then
		wait "$daemon" || true
		daemon=
		if grep -qiE 'not implemented|flag provided but not defined|unknown (backend|display|joystick|sensors)' "$tmp/daemon.log"; then
			not_ready "the daemon does not support --display sim --joystick sim --sensors sim yet"
		fi
		fail "the daemon exited before answering"
	fi
	if status=$(laptop --timeout 1s req sensehat.pi1.status '' 2>/dev/null) &&
		printf '%s' "$status" | grep -q '"id"'; then
		break
	fi
	status=
	sleep 1
	i=$((i + 1))
done
[ -n "$status" ] || fail "no status reply on sensehat.pi1.status within 60s"
printf '%s\n' "$status" | grep -q '"id": *"pi1"' || fail "status reply lacks \"id\":\"pi1\": $status"
echo "ok    status: $(printf '%s' "$status" | tr -d '\n' | cut -c1-160)"

reply=$(laptop --timeout 30s req sensehat.pi1.led.text 'hi' 2>&1) || fail "led.text request failed: $reply"
printf '%s\n' "$reply" | grep -q '"displayed": *true' || fail "led.text reply is not displayed:true: $reply"
echo "ok    led.text: $(printf '%s' "$reply" | grep displayed)"

reply=$(laptop --timeout 5s req sensehat.pi1.led.text '{"color":"nope","text":"x"}' 2>&1) || true
printf '%s\n' "$reply" | grep -q '400' || fail "bad led.text got no 400 error reply: $reply"
echo "ok    led.text with an unknown colour answered with 400"

env=$(timeout 20 nats --server "$url" --user laptop --password change-me-laptop sub --count 1 sensehat.pi1.sensors.env 2>&1) ||
	fail "no sensors.env reading within 20s: $env"
printf '%s\n' "$env" | grep -q '"humidity_pct"' || fail "sensors.env reading lacks humidity_pct: $env"
echo "ok    sensors.env published"

info=$(laptop --timeout 5s service info sensehat 2>&1) || fail "nats service info sensehat failed: $info"
printf '%s\n' "$info" | grep -q 'pi1' || fail "service info does not mention pi1: $info"
echo "ok    micro service sensehat found"

# Everything above ran as the least-privileged device user: the daemon
# must not have needed anything the example config withholds.
if grep -q 'Permissions Violation' "$tmp/daemon.log"; then
	fail "the daemon hit a NATS permissions violation as user pi1 (deploy/nats/accounts.conf)"
fi

echo "== SIGTERM"
kill -TERM "$daemon"
rc=0
wait "$daemon" || rc=$?
daemon=
[ "$rc" -eq 0 ] || fail "the daemon exited with $rc on SIGTERM, want 0"
echo "ok    clean exit on SIGTERM"
echo "check-arm: ok"
