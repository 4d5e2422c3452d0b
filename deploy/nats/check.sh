#!/bin/sh
# check.sh: proves the example NATS permissions do what accounts.conf says,
# against a real nats-server on a random loopback port, using the nats CLI:
# a device can answer requests addressed to it, and cannot publish or listen
# as another device. Also validates the TLS variant with throwaway certs,
# and, with mosquitto's MQTT clients against nats-server-mqtt.conf, what
# Home Assistant and a device may and may not do over MQTT.
# Needs nats-server, nats, openssl, mosquitto_pub and mosquitto_sub on PATH
# (.ci/run installs them).
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
for tool in nats-server nats openssl mosquitto_pub mosquitto_sub; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "nats/check: $tool not found on PATH; run .ci/run or install it" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
srv=
msrv=
cleanup() {
	[ -z "$srv" ] || kill "$srv" 2>/dev/null || true
	[ -z "$msrv" ] || kill "$msrv" 2>/dev/null || true
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

# MQTT: nats-server-mqtt.conf with its store and listener moved to the
# temporary directory and a free loopback port.
sed -e "s|/var/lib/nats/jetstream|$tmp/js|" -e 's|listen: 0.0.0.0:1883|listen: 127.0.0.1:-1|' \
	"$here/nats-server-mqtt.conf" >"$tmp/nats-server-mqtt.conf"
nats-server -c "$tmp/nats-server-mqtt.conf" -a 127.0.0.1 -p -1 >"$tmp/mqtt-server.log" 2>&1 &
msrv=$!
mport=
nport=
i=0
while [ $i -lt 100 ]; do
	mport=$(sed -n 's/.*Listening for MQTT clients on mqtt:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/mqtt-server.log")
	nport=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/mqtt-server.log")
	[ -z "$mport" ] || [ -z "$nport" ] || break
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$mport" ] || [ -z "$nport" ]; then
	cat "$tmp/mqtt-server.log" >&2
	echo "nats/check: nats-server with MQTT did not start" >&2
	exit 1
fi
murl=nats://127.0.0.1:$nport
ha_sub() { mosquitto_sub -h 127.0.0.1 -p "$mport" -u homeassistant -P change-me-homeassistant "$@"; }
ha_pub() { mosquitto_pub -h 127.0.0.1 -p "$mport" -u homeassistant -P change-me-homeassistant "$@"; }
mpi1() { nats --server "$murl" --user pi1 --password change-me-pi1 --timeout 2s "$@"; }

# Home Assistant listens (QoS 1, as it may be configured to) while pi1
# publishes its discovery, a reading and its availability over NATS.
ha_sub -q 1 -v -W 8 -t 'homeassistant/#' -t 'sensehat/+/sensors/+' -t 'sensehat/+/availability' \
	-t 'sensehat/+/joystick/+' >"$tmp/ha.log" 2>&1 &
hasub=$!
# A retained message would do, but NATS publishes are never retained: wait
# for the subscription with a marker Home Assistant itself may publish.
i=0
while [ $i -lt 50 ]; do
	ha_pub -t homeassistant/status -m online
	grep -q '^homeassistant/status online' "$tmp/ha.log" && break
	sleep 0.1
	i=$((i + 1))
done
expect_ok "pi1 publishes its own discovery message" mpi1 pub homeassistant.device.sensehat_pi1.config '{"device":{}}'
expect_ok "pi1 publishes a reading" mpi1 pub sensehat.pi1.sensors.env '{"temperature_c":21.5}'
expect_ok "pi1 publishes its availability" mpi1 pub sensehat.pi1.availability online
expect_denied "pi1 publishes pi2's discovery message" mpi1 pub homeassistant.device.sensehat_pi2.config '{}'
expect_denied "pi1 publishes a per-entity discovery message" mpi1 pub homeassistant.sensor.x.config '{}'
expect_denied "pi1 impersonates Home Assistant's birth" mpi1 pub homeassistant.status online
wait "$hasub" || true
expect_ok "Home Assistant receives pi1's discovery over MQTT" grep -q '^homeassistant/device/sensehat_pi1/config {"device":{}}' "$tmp/ha.log"
expect_ok "Home Assistant receives pi1's reading over MQTT" grep -q '^sensehat/pi1/sensors/env {"temperature_c":21.5}' "$tmp/ha.log"
expect_ok "Home Assistant receives pi1's availability over MQTT" grep -q '^sensehat/pi1/availability online' "$tmp/ha.log"

# Home Assistant drives the matrix: led.text arrives at pi1; led.pixels is
# refused by the server, so pi1 never sees it (it is sent first, on the
# same connection order, and the allowed one after it proves delivery).
timeout 8 nats --server "$murl" --user pi1 --password change-me-pi1 sub 'sensehat.pi1.led.>' --count 2 >"$tmp/pi1.log" 2>&1 &
pisub=$!
timeout 8 nats --server "$murl" --user pi1 --password change-me-pi1 sub homeassistant.status --count 1 >"$tmp/pi1-birth.log" 2>&1 &
birthsub=$!
sleep 1
ha_pub -t sensehat/pi1/led/pixels -m refused-frame
ha_pub -t sensehat/pi1/led/text -m hello-from-mqtt
ha_pub -t sensehat/pi1/led/config -m '{"low_light":true}'
ha_pub -t homeassistant/status -m online
wait "$pisub" || true
wait "$birthsub" || true
expect_ok "Home Assistant scrolls a text on pi1 over MQTT" grep -q hello-from-mqtt "$tmp/pi1.log"
expect_ok "Home Assistant sets pi1's led.config over MQTT" grep -q low_light "$tmp/pi1.log"
expect_ok "pi1 hears Home Assistant's birth message" grep -q online "$tmp/pi1-birth.log"
expect_ok "Home Assistant's led.pixels is refused" sh -c "! grep -q refused-frame '$tmp/pi1.log' && grep -q 'Publish Violation - Subject \"sensehat.pi1.led.pixels\"' '$tmp/mqtt-server.log'"
expect_ok "Home Assistant may not read pi1's status" sh -c "
	out=\$(mosquitto_sub -h 127.0.0.1 -p '$mport' -u homeassistant -P change-me-homeassistant -t sensehat/pi1/status -W 2 2>&1)
	printf '%s\n' \"\$out\" | grep -q 'denied' || { printf '%s\n' \"\$out\"; exit 1; }"
expect_ok "Home Assistant may not listen to the micro service" sh -c "
	out=\$(mosquitto_sub -h 127.0.0.1 -p '$mport' -u homeassistant -P change-me-homeassistant -t '\$SRV/#' -W 2 2>&1)
	printf '%s\n' \"\$out\" | grep -q 'denied' || { printf '%s\n' \"\$out\"; exit 1; }"
expect_ok "Home Assistant's user cannot connect over NATS" sh -c "
	out=\$(nats --server '$murl' --user homeassistant --password change-me-homeassistant --timeout 2s pub x y 2>&1)
	printf '%s\n' \"\$out\" | grep -q 'Authorization Violation' || { printf '%s\n' \"\$out\"; exit 1; }"
expect_ok "a wrong MQTT password is refused" sh -c "
	! mosquitto_pub -h 127.0.0.1 -p '$mport' -u homeassistant -P wrong -t sensehat/pi1/led/text -m x 2>/dev/null"

if [ "$fail" -ne 0 ]; then
	echo "nats/check: the example permissions do not hold" >&2
	exit 1
fi
echo "nats/check: ok"
