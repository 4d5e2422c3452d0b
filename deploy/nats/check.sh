#!/bin/sh
# check.sh: proves the example NATS permissions do what accounts.conf says,
# against a real nats-server on a random loopback port, using the nats CLI:
# a device can answer requests addressed to it, and cannot publish or listen
# as another device. Also validates the TLS variant with throwaway certs.
# Needs nats-server, nats and openssl on PATH (.ci/run installs them).
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
for tool in nats-server nats openssl; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "nats/check: $tool not found on PATH; run .ci/run or install it" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
srv=
cleanup() {
	[ -z "$srv" ] || kill "$srv" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# -p -1: the server picks a free port and logs it.
nats-server -c "$here/nats-server.conf" -a 127.0.0.1 -p -1 >"$tmp/server.log" 2>&1 &
srv=$!
port=
i=0
while [ $i -lt 50 ]; do
	port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/server.log")
	[ -z "$port" ] || break
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$port" ]; then
	cat "$tmp/server.log" >&2
	echo "nats/check: nats-server did not start" >&2
	exit 1
fi
url=nats://127.0.0.1:$port
pi1() { nats --server "$url" --user pi1 --password change-me-pi1 --timeout 2s "$@"; }
laptop() { nats --server "$url" --user laptop --password change-me-laptop --timeout 2s "$@"; }

fail=0
expect_ok() {
	what=$1
	shift
	if out=$("$@" 2>&1); then
		echo "ok    $what"
	else
		printf 'FAIL  %s\n%s\n' "$what" "$out" >&2
		fail=1
	fi
}
expect_denied() {
	what=$1
	shift
	if out=$("$@" 2>&1); then
		printf 'FAIL  %s: allowed\n%s\n' "$what" "$out" >&2
		fail=1
	elif printf '%s' "$out" | grep -q 'Permissions Violation'; then
		echo "ok    $what (denied)"
	else
		printf 'FAIL  %s: failed for another reason\n%s\n' "$what" "$out" >&2
		fail=1
	fi
}

expect_ok "pi1 publishes its sensor reading" pi1 pub sensehat.pi1.sensors.env '{}'
expect_denied "pi1 publishes as pi2" pi1 pub sensehat.pi2.sensors.env '{}'
expect_denied "pi1 sends text to the whole fleet" pi1 pub sensehat.all.led.text spoof
expect_denied "pi1 listens to pi2" timeout 5 nats --server "$url" --user pi1 --password change-me-pi1 sub 'sensehat.pi2.>'
expect_denied "pi1 listens on every inbox" timeout 5 nats --server "$url" --user pi1 --password change-me-pi1 sub '_INBOX.>'

# A device answering: the reply goes to the laptop's inbox, which pi1 may
# not publish to except as the response allow_responses grants.
pi1 reply --count 1 sensehat.pi1.status '{"id":"pi1"}' >"$tmp/reply.log" 2>&1 &
replier=$!
sleep 1
expect_ok "laptop asks pi1 for its status, pi1 answers" sh -c "
	out=\$(nats --server '$url' --user laptop --password change-me-laptop --timeout 3s req sensehat.pi1.status '' 2>&1)
	printf '%s\n' \"\$out\" | grep -q '{\"id\":\"pi1\"}' || { printf '%s\n' \"\$out\"; exit 1; }"
kill "$replier" 2>/dev/null || true
wait "$replier" 2>/dev/null || true

pi1 reply --count 1 sensehat.all.led.text '{"displayed":true}' >"$tmp/reply2.log" 2>&1 &
replier=$!
sleep 1
expect_ok "laptop sends text to all, pi1 acknowledges" sh -c "
	out=\$(nats --server '$url' --user laptop --password change-me-laptop --timeout 3s req sensehat.all.led.text hello 2>&1)
	printf '%s\n' \"\$out\" | grep -q displayed || { printf '%s\n' \"\$out\"; exit 1; }"
kill "$replier" 2>/dev/null || true
wait "$replier" 2>/dev/null || true

expect_ok "laptop watches every device" sh -c "timeout 2 nats --server '$url' --user laptop --password change-me-laptop sub 'sensehat.>' >/dev/null 2>&1; [ \$? -eq 124 ]"
expect_denied "laptop publishes outside sensehat" laptop pub other.subject x

# TLS variant: rewrite its certificate paths to throwaway files and let the
# server parse it (-t), which loads the certificates.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=sensehat-test-ca \
	-keyout "$tmp/ca-key.pem" -out "$tmp/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	-keyout "$tmp/server-key.pem" -out "$tmp/server.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >"$tmp/san.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca-key.pem" \
	-CAcreateserial -days 1 -extfile "$tmp/san.ext" -out "$tmp/server.pem" >/dev/null 2>&1
sed "s|/etc/nats/|$tmp/|" "$here/nats-server-tls.conf" >"$tmp/nats-server-tls.conf"
cp "$here/accounts.conf" "$tmp/accounts.conf"
expect_ok "TLS configuration loads its certificates" nats-server -t -c "$tmp/nats-server-tls.conf"

if [ "$fail" -ne 0 ]; then
	echo "nats/check: the example permissions do not hold" >&2
	exit 1
fi
echo "nats/check: ok"
