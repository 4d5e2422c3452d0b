#!/bin/sh
# check.sh: tries what a device may and may not do under the example NATS
# permissions (accounts.conf), against a real nats-server on a random
# loopback port, with the nats CLI as the device (pi1) and as the laptop.
#
# Each attempt is carried out for real: a subscription is made and a message
# published to it until it arrives or the server refuses one side; a reply
# is offered and a request sent until the answer arrives or the server
# refuses. Then a table shows each attempt, what accounts.conf promises
# and what the server did. "allowed, limit" marks what a device can do
# although it should not, because NATS permissions cannot express the
# refusal (docs/fleet.md, "What permissions cannot refuse", says why). The check
# fails if anything promised refused is accepted, or anything a device needs
# is refused. It also validates the TLS variant with throwaway certs.
#
#   deploy/nats/check.sh
#   NATS_SERVER=/usr/sbin/nats-server deploy/nats/check.sh   # another server
#
# Then, with mosquitto's MQTT clients against nats-server-mqtt.conf, what
# Home Assistant and a device may and may not do over MQTT (on the
# nats-server on PATH, the pinned one, whatever NATS_SERVER says).
#
# Needs nats-server (and NATS_SERVER if set), nats, openssl, mosquitto_pub
# and mosquitto_sub on PATH (.ci/run installs them).

# $SRV in single quotes is a NATS subject, not a shell variable.
# shellcheck disable=SC2016
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
server=${NATS_SERVER:-nats-server}
for tool in "$server" nats-server nats openssl mosquitto_pub mosquitto_sub; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "nats/check: $tool not found on PATH; run .ci/run or install it" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
srv=
bg=
bg2=
late=
msrv=
cleanup() {
	[ -z "$bg" ] || kill "$bg" 2>/dev/null || true
	[ -z "$bg2" ] || kill "$bg2" 2>/dev/null || true
	# shellcheck disable=SC2086 # $late holds two pids
	[ -z "$late" ] || kill $late 2>/dev/null || true
	[ -z "$srv" ] || kill "$srv" 2>/dev/null || true
	[ -z "$msrv" ] || kill "$msrv" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# -p -1: the server picks a free port and logs it.
"$server" -c "$here/nats-server.conf" -a 127.0.0.1 -p -1 >"$tmp/server.log" 2>&1 &
srv=$!
port=
i=0
while [ $i -lt 100 ]; do
	port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/server.log")
	[ -z "$port" ] || break
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$port" ]; then
	cat "$tmp/server.log" >&2
	echo "nats/check: $server did not start" >&2
	exit 1
fi
url=nats://127.0.0.1:$port
echo "nats/check: $("$server" --version 2>&1) on $url"

# as USER nats-args...: the nats CLI logged in as a user of accounts.conf.
as() {
	who=$1
	shift
	nats --server "$url" --user "$who" --password "change-me-$who" "$@"
}

fail=0
n=0
# record ATTEMPT EXPECTED OUTCOME: one row of the table. EXPECTED is
# "refused", "allowed" or "allowed, limit"; OUTCOME "refused", "allowed" or
# what else happened.
record() {
	n=$((n + 1))
	verdict=ok
	case $2 in
	refused) [ "$3" = refused ] || verdict=FAIL ;;
	allowed*) [ "$3" = allowed ] || verdict=FAIL ;;
	esac
	if [ "$verdict" = FAIL ]; then
		fail=1
		printf 'FAIL  %s: expected %s, got %s\n' "$1" "$2" "$3" >&2
		for f in "$tmp"/a.*; do
			[ -s "$f" ] && sed "s|^|      ${f##*/}: |" "$f" >&2
		done
	else
		printf 'ok    %s: %s\n' "$1" "$3"
	fi
	printf '%2d|%s|%s|%s|%s\n' "$n" "$1" "$2" "$3" "$verdict" >>"$tmp/table"
	rm -f "$tmp"/a.*
}

violation() { grep -q 'Permissions Violation' "$@" 2>/dev/null; }

# stop_bg ends the background nats CLIs of the current attempt.
stop_bg() {
	for p in $bg $bg2; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	bg=
	bg2=
}

# deliver ATTEMPT EXPECTED SUBUSER PUBUSER PUBSUBJECT SUB-ARGS...: SUBUSER
# subscribes with SUB-ARGS, PUBUSER publishes to PUBSUBJECT (again every
# 0.2 s, so a subscription still being set up is not missed) until the
# message arrives or the server refuses either side. 15 s at most.
deliver() {
	what=$1 want=$2 subuser=$3 pubuser=$4 pubsubj=$5
	shift 5
	# nats itself, not through as(): $! must be the process stop_bg kills.
	nats --server "$url" --user "$subuser" --password "change-me-$subuser" \
		sub --count 1 "$@" >"$tmp/a.sub" 2>&1 &
	bg=$!
	got=
	i=0
	while [ $i -lt 75 ]; do
		if violation "$tmp/a.sub"; then
			got=refused
			break
		fi
		if ! kill -0 "$bg" 2>/dev/null; then
			if grep -q 'Received on' "$tmp/a.sub"; then
				got=allowed
			else
				got="sub ended without a message"
			fi
			break
		fi
		as "$pubuser" pub "$pubsubj" "probe $i" >"$tmp/a.pub" 2>&1 || true
		if violation "$tmp/a.pub"; then
			got=refused
			break
		fi
		sleep 0.2
		i=$((i + 1))
	done
	stop_bg
	record "$what" "$want" "${got:-no message and no refusal in 15s}"
}

# answer ATTEMPT EXPECTED REQSUBJECT BODY REPLY-ARGS...: pi1 offers to
# answer with BODY (nats reply REPLY-ARGS BODY); the laptop sends requests
# to REQSUBJECT until BODY comes back or the server refuses pi1.
answer() {
	what=$1 want=$2 reqsubj=$3 body=$4
	shift 4
	nats --server "$url" --user pi1 --password change-me-pi1 \
		reply --count 1 "$@" "$body" >"$tmp/a.reply" 2>&1 &
	bg=$!
	got=
	i=0
	while [ $i -lt 30 ]; do
		if violation "$tmp/a.reply"; then
			got=refused
			break
		fi
		if as laptop --timeout 0.5s req "$reqsubj" '' >"$tmp/a.req" 2>&1 &&
			grep -qF "$body" "$tmp/a.req"; then
			got=allowed
			break
		fi
		if violation "$tmp/a.reply"; then
			got=refused
			break
		fi
		sleep 0.2
		i=$((i + 1))
	done
	stop_bg
	record "$what" "$want" "${got:-no answer and no refusal in 15s}"
}

# selfreq ATTEMPT EXPECTED: pi1 answers requests on its own led.text with
# a forged text and sends itself such requests (again every 0.2 s) whose
# reply subject is pi2's led.text, where the laptop listens, until the
# forged text arrives there or the server refuses pi1's answer. With
# allow_responses a device could publish once on any subject this way.
selfreq() {
	what=$1 want=$2
	nats --server "$url" --user laptop --password change-me-laptop \
		sub --count 1 sensehat.pi2.led.text >"$tmp/a.sub" 2>&1 &
	bg=$!
	nats --server "$url" --user pi1 --password change-me-pi1 \
		reply sensehat.pi1.led.text forged-by-pi1 >"$tmp/a.reply" 2>&1 &
	bg2=$!
	got=
	i=0
	while [ $i -lt 30 ]; do
		if violation "$tmp/a.reply"; then
			got=refused
			break
		fi
		if grep -q forged-by-pi1 "$tmp/a.sub"; then
			got=allowed
			break
		fi
		as pi1 pub --reply sensehat.pi2.led.text sensehat.pi1.led.text "probe $i" >"$tmp/a.pub" 2>&1 || true
		sleep 0.2
		i=$((i + 1))
	done
	stop_bg
	record "$what" "$want" "${got:-no answer and no refusal in 6s}"
}

# A reply may come long after its request: a led.text request is answered
# when its text has been shown, minutes later behind a queue of others.
# Under "allow_responses: true" the server forgot a reply subject after 2
# minutes and refused the late reply; a device's _INBOX.> publish has no
# expiry. pi1 answers after 125 s here; the attempt runs in the background
# while the others go on, and is recorded last.
late_wait=125
nats --server "$url" --user pi1 --password change-me-pi1 \
	reply --count 1 --command "sh -c 'sleep $late_wait; printf late-answer-ok'" \
	sensehat.pi1.led.pixels >"$tmp/late.reply" 2>&1 &
late=$!
(
	# The CLI says "Listening on" once subscribed; then one request.
	i=0
	until grep -q 'Listening on' "$tmp/late.reply" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 150 ] || exit 1
		sleep 0.1
	done
	exec nats --server "$url" --user laptop --password change-me-laptop \
		--timeout $((late_wait + 60))s req sensehat.pi1.led.pixels '' >"$tmp/late.req" 2>&1
) &
late="$late $!"
late_req=$!

echo "== publishing"
deliver "pi1 publishes its own reading" allowed laptop pi1 sensehat.pi1.sensors.env sensehat.pi1.sensors.env
deliver "pi1 publishes a reading as pi2" refused laptop pi1 sensehat.pi2.sensors.env sensehat.pi2.sensors.env
deliver "pi1 sends text to the whole fleet" refused laptop pi1 sensehat.all.led.text sensehat.all.led.text
deliver "pi1 sends text to pi2" refused laptop pi1 sensehat.pi2.led.text sensehat.pi2.led.text
deliver "pi1 pings every service (\$SRV.PING)" refused laptop pi1 '$SRV.PING' '$SRV.PING'
deliver "pi1 publishes to an inbox it was not asked on" "allowed, limit" laptop pi1 _INBOX.guess _INBOX.guess

echo "== subscribing"
deliver "pi1 takes its led.text (queue q, as micro does)" allowed pi1 laptop sensehat.pi1.led.text --queue q sensehat.pi1.led.text
deliver "pi1 takes its status requests" allowed pi1 laptop sensehat.pi1.status --queue q sensehat.pi1.status
deliver "pi1 listens to pi2" refused pi1 laptop sensehat.pi2.led.text 'sensehat.pi2.>'
deliver "pi1 listens to the whole fleet" refused pi1 laptop sensehat.pi2.led.text 'sensehat.>'
deliver "pi1 listens to every device's led.text" refused pi1 laptop sensehat.pi2.led.text 'sensehat.*.led.text'
deliver "pi1 listens on every inbox" refused pi1 laptop _INBOX.guess '_INBOX.>'
deliver "pi1 takes all.led.text" allowed pi1 laptop sensehat.all.led.text sensehat.all.led.text
deliver "pi1 takes any.led.text in queue group sensehat" allowed pi1 laptop sensehat.any.led.text --queue sensehat sensehat.any.led.text
deliver "pi1 takes any.led.text outside the queue group" refused pi1 laptop sensehat.any.led.text sensehat.any.led.text
deliver "pi1 takes any.led.text in another queue group" refused pi1 laptop sensehat.any.led.text --queue mine sensehat.any.led.text
deliver "pi1 takes every discovery request (\$SRV.>)" refused pi1 laptop '$SRV.INFO.othersvc.X1' '$SRV.>'
deliver "pi1 takes \$SRV.* (wildcard verb)" refused pi1 laptop '$SRV.PING' '$SRV.*'
deliver "pi1 takes \$SRV.PING.othersvc" refused pi1 laptop '$SRV.PING.othersvc' '$SRV.PING.othersvc'
deliver "pi1 takes \$SRV.INFO.othersvc.<id>" refused pi1 laptop '$SRV.INFO.othersvc.X1' '$SRV.INFO.othersvc.*'
deliver "pi1 takes \$SRV.*.othersvc (any verb)" refused pi1 laptop '$SRV.STATS.othersvc' '$SRV.*.othersvc'
deliver "pi1 takes every service's \$SRV.PING.*" refused pi1 laptop '$SRV.PING.othersvc' '$SRV.PING.*'
deliver "pi1 takes \$SRV.PING" allowed pi1 laptop '$SRV.PING' '$SRV.PING'
deliver "pi1 takes \$SRV.INFO.sensehat" allowed pi1 laptop '$SRV.INFO.sensehat' '$SRV.INFO.sensehat'
deliver "pi1 takes \$SRV.STATS.sensehat.<its id>" allowed pi1 laptop '$SRV.STATS.sensehat.X1' '$SRV.STATS.sensehat.X1'
deliver "pi1 takes every instance's \$SRV.INFO.sensehat.*" "allowed, limit" pi1 laptop '$SRV.INFO.sensehat.X2' '$SRV.INFO.sensehat.*'

echo "== answering"
answer "pi1 answers a status request to pi1" allowed sensehat.pi1.status '{"id":"pi1"}' sensehat.pi1.status
answer "pi1 answers a status request to pi2" refused sensehat.pi2.status '{"id":"pi2"}' sensehat.pi2.status
answer "pi1 answers \$SRV.PING.othersvc" refused '$SRV.PING.othersvc' '{"name":"othersvc"}' '$SRV.PING.othersvc'
answer "pi1 answers \$SRV.PING.othersvc, listening on \$SRV.>" refused '$SRV.PING.othersvc' '{"name":"othersvc"}' '$SRV.>'
answer "pi1 answers any.led.text outside the queue group" refused sensehat.any.led.text '{"displayed":true,"id":"pi1"}' --queue mine sensehat.any.led.text
answer "pi1 answers any.led.text in queue group sensehat" allowed sensehat.any.led.text '{"displayed":true,"id":"pi1"}' --queue sensehat sensehat.any.led.text
selfreq "pi1 answers its own request onto pi2's led.text" refused
answer "pi1 answers all.led.text claiming to be pi2" "allowed, limit" sensehat.all.led.text '{"displayed":true,"id":"pi2"}' sensehat.all.led.text
answer "pi1 answers \$SRV.PING claiming to be othersvc" "allowed, limit" '$SRV.PING' '{"name":"othersvc","id":"X3"}' '$SRV.PING'
answer "pi1 answers \$SRV.INFO.sensehat.<pi2's id> as pi2" "allowed, limit" '$SRV.INFO.sensehat.X2' '{"name":"sensehat","id":"X2","metadata":{"id":"pi2"}}' '$SRV.INFO.sensehat.X2'

echo "== laptop"
deliver "laptop watches every device" allowed laptop pi1 sensehat.pi1.sensors.env 'sensehat.>'
deliver "laptop publishes outside sensehat" refused laptop laptop other.subject other.subject

echo "== a late answer (waiting up to ${late_wait}s for it)"
wait "$late_req" || true
if grep -qF late-answer-ok "$tmp/late.req" 2>/dev/null; then
	got=allowed
elif violation "$tmp/late.reply"; then
	got=refused
else
	got="no answer"
fi
cp "$tmp/late.reply" "$tmp/a.late-reply" 2>/dev/null || true
cp "$tmp/late.req" "$tmp/a.late-req" 2>/dev/null || true
# shellcheck disable=SC2086 # $late holds two pids
kill $late 2>/dev/null || true
late=
record "pi1 answers a request ${late_wait}s after it came" allowed "$got"

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
if out=$("$server" -t -c "$tmp/nats-server-tls.conf" 2>&1); then
	record "TLS configuration loads its certificates" allowed allowed
else
	printf '%s\n' "$out" >&2
	record "TLS configuration loads its certificates" allowed "failed to load"
fi


# The MQTT rows: a command that must succeed, or be refused by the server
# with a permissions violation; each goes into the table like the rows above.
expect_ok() {
	what=$1
	shift
	if out=$("$@" 2>&1); then
		record "$what" allowed allowed
	else
		printf '%s\n' "$out" >"$tmp/a.out"
		record "$what" allowed failed
	fi
}
expect_denied() {
	what=$1
	shift
	if out=$("$@" 2>&1); then
		printf '%s\n' "$out" >"$tmp/a.out"
		record "$what" refused allowed
	elif printf '%s' "$out" | grep -q 'Permissions Violation'; then
		record "$what" refused refused
	else
		printf '%s\n' "$out" >"$tmp/a.out"
		record "$what" refused failed
	fi
}

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
expect_denied "pi1 writes its own desired key (docs/desired-state.md)" mpi1 pub '$KV.sensehat_desired.pi1' '{"rotation":0}'
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

echo
echo "== what pi1 (a device) and the laptop can do, $("$server" --version 2>&1)"
awk -F'|' '
	BEGIN { printf "%2s  %-56s %-15s %-9s %s\n", "#", "attempt", "expected", "outcome", "" }
	{ printf "%2s  %-56s %-15s %-9s %s\n", $1, $2, $3, $4, $5 }
' "$tmp/table"
echo '"allowed, limit": NATS permissions cannot refuse it; docs/fleet.md says what follows.'

if [ "$fail" -ne 0 ]; then
	echo "nats/check: the example permissions do not hold" >&2
	exit 1
fi
echo "nats/check: ok"
