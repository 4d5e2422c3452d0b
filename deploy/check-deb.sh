#!/bin/sh
# check-deb.sh [DIST]: inspects the sensehatd .deb packages make deb wrote to
# DIST (default dist/) and fails unless each one has the binary, the unit,
# the settings file as a conffile, the maintainer scripts and the right
# Architecture. Expects one package for armhf and one for arm64.
set -eu

dist=${1:-dist}
fail=0
bad() {
	printf 'check-deb: %s: %s\n' "$deb" "$*" >&2
	fail=1
}

command -v dpkg-deb >/dev/null 2>&1 || {
	echo "check-deb: dpkg-deb not found; install dpkg" >&2
	exit 1
}

for arch in armhf arm64; do
	set -- "$dist"/sensehatd_*_"$arch".deb
	if [ ! -f "$1" ]; then
		echo "check-deb: no $dist/sensehatd_*_$arch.deb; run make deb" >&2
		fail=1
		continue
	fi
	if [ $# -gt 1 ]; then
		echo "check-deb: several $arch packages in $dist ($*); run make clean deb" >&2
		fail=1
		continue
	fi
	deb=$1
	echo "== $deb"

	contents=$(dpkg-deb -c "$deb")
	# Each line: mode owner size date time path. Check path and mode.
	for want in \
		'-rwxr-xr-x ./usr/bin/sensehatd' \
		'-rw-r--r-- ./lib/systemd/system/sensehatd.service' \
		'-rw------- ./etc/default/sensehatd' \
		'-rwxr-xr-x ./usr/share/sensehatd/nats/setup-pi.sh' \
		'-rwxr-xr-x ./usr/share/sensehatd/nats/store-and-forward.sh' \
		'-rwxr-xr-x ./usr/share/sensehatd/nats/setup-fleet-pi.sh' \
		'-rw-r--r-- ./usr/share/sensehatd/nats/leaf.conf' \
		'-rw-r--r-- ./usr/share/sensehatd/nats/pi-stream.json'; do
		mode=${want%% *}
		path=${want#* }
		line=$(printf '%s\n' "$contents" | awk -v p="$path" '$NF == p')
		if [ -z "$line" ]; then
			bad "missing $path"
		elif [ "${line%% *}" != "$mode" ]; then
			bad "$path has mode ${line%% *}, want $mode"
		fi
	done
	size=$(printf '%s\n' "$contents" | awk '$NF == "./usr/bin/sensehatd" { print $3 }')
	if [ -n "$size" ] && [ "$size" -lt 1000000 ]; then
		bad "usr/bin/sensehatd is only $size bytes; not a real build"
	fi

	got=$(dpkg-deb -f "$deb" Architecture)
	[ "$got" = "$arch" ] || bad "Architecture $got, want $arch"
	# Store and forward runs the Pi's own nats-server (docs/fleet.md).
	got=$(dpkg-deb -f "$deb" Recommends)
	[ "$got" = nats-server ] || bad "Recommends '$got', want nats-server"
	got=$(dpkg-deb -f "$deb" Package)
	[ "$got" = sensehatd ] || bad "Package $got, want sensehatd"
	version=$(dpkg-deb -f "$deb" Version)
	case $version in
	[0-9]*) ;;
	*) bad "Version $version does not start with a digit" ;;
	esac

	tmp=$(mktemp -d)
	dpkg-deb -e "$deb" "$tmp"
	if [ "$(cat "$tmp/conffiles" 2>/dev/null)" != /etc/default/sensehatd ]; then
		bad "conffiles is '$(cat "$tmp/conffiles" 2>/dev/null)', want /etc/default/sensehatd"
	fi
	for s in postinst prerm postrm; do
		if [ ! -x "$tmp/$s" ]; then
			bad "maintainer script $s missing or not executable"
		elif ! cmp -s "$tmp/$s" "deploy/deb/$s"; then
			bad "maintainer script $s differs from deploy/deb/$s"
		fi
	done
	rm -rf "$tmp"

	dpkg-deb -I "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Installed-Size\):/  &/p'
done

if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "ok"
