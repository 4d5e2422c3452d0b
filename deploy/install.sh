#!/bin/sh
# install.sh: install (or remove) sensehatd on a Raspberry Pi with a Sense HAT.
#
#   sudo sh install.sh [--force] [BINARY]    install and start the service
#   sudo sh install.sh --store-and-forward HUB_URL [BINARY]
#                                            also keep every reading on the
#                                            Pi until the hub has it
#                                            (nats/setup-pi.sh; docs/fleet.md, "Keep
#                                            every reading")
#   sudo sh install.sh --fleet BUNDLE [BINARY]
#                                            the same as a member of a fleet
#                                            made with sensehat fleet: its
#                                            own identity (nats/setup-fleet-pi.sh)
#   sudo sh install.sh --uninstall [--purge] stop and remove it
#
# BINARY defaults to the sensehatd next to this script; sensehatd.service and
# sensehatd.env are taken from beside the script too (make deploy copies all
# four). The settings file /etc/default/sensehatd is written only if absent,
# so a re-install keeps local settings.
#
# SENSEHAT_INSTALL_ROOT, if set, is prepended to every path the script reads
# or writes, so it can be tried out on a scratch tree; systemctl is then not
# called.
set -eu

prog=install.sh
root=${SENSEHAT_INSTALL_ROOT:-}
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)

bin_dst=$root/usr/bin/sensehatd
unit_dst=$root/etc/systemd/system/sensehatd.service
env_dst=$root/etc/default/sensehatd
state_dir=$root/var/lib/private/sensehatd

say() { printf '%s: %s\n' "$prog" "$*"; }
warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }
die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}

usage() {
	cat <<EOF
usage: sudo sh $prog [--force] [--store-and-forward HUB_URL | --fleet BUNDLE] [BINARY]
       sudo sh $prog --uninstall [--purge]

Installs sensehatd to /usr/bin, its unit to /etc/systemd/system and, if
absent, its settings to /etc/default/sensehatd; then enables and (re)starts
the service. --force installs even when the I2C or package checks fail.
--store-and-forward HUB_URL (nats-leaf://hub:7422) then makes the Pi a
leaf node of that hub that stores every reading until the hub has it; it
needs Debian's nats-server (apt install nats-server) and nats/setup-pi.sh
beside this script. --fleet BUNDLE does the same with the device's own
identity, from the directory "sensehat fleet add ID" wrote (fleet/pi/ID).
--uninstall stops and removes the service; --purge also deletes the settings
and the saved calibration.
EOF
}

# systemctl only where systemd runs: not in a chroot, not on a scratch root.
have_systemd() {
	[ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# dpkg_owned reports whether the .deb put sensehatd on this system; files of
# a package are the package manager's to replace.
dpkg_owned() {
	[ -z "$root" ] && command -v dpkg-query >/dev/null 2>&1 &&
		dpkg-query -W -f='${Status}' sensehatd 2>/dev/null | grep -q 'install ok installed'
}

check_i2c() {
	if [ -e "$root/dev/i2c-1" ]; then
		return 0
	fi
	warn "I2C is not enabled: $root/dev/i2c-1 does not exist. The Sense HAT talks over I2C bus 1."
	cat >&2 <<'EOF'
  Enable it with
      sudo raspi-config nonint do_i2c 0
  or add this line to /boot/firmware/config.txt (/boot/config.txt on older
  systems) and reboot:
      dtparam=i2c_arm=on
EOF
	return 1
}

# check_hat looks for the Sense HAT the way the kernel sees it: the HAT
# EEPROM's product string, or the framebuffer the rpi-sense overlay creates.
check_hat() {
	product=$root/proc/device-tree/hat/product
	if [ -r "$product" ] && tr -d '\000' <"$product" | grep -q 'Sense HAT'; then
		return 0
	fi
	for name in "$root"/sys/class/graphics/fb*/name; do
		if [ -r "$name" ] && grep -q 'RPi-Sense FB' "$name"; then
			return 0
		fi
	done
	warn "no Sense HAT found: neither $root/proc/device-tree/hat/product nor a framebuffer named \"RPi-Sense FB\"."
	cat >&2 <<'EOF'
  If the HAT is fitted, its EEPROM was not read at boot. Load the overlay by
  adding this line to /boot/firmware/config.txt and rebooting:
      dtoverlay=rpi-sense
  sensehatd also runs without the kernel drivers (it then drives the chips on
  I2C itself), so the service is installed anyway.
EOF
}

# ensure_groups creates the device groups the unit names but this system
# lacks (Raspberry Pi OS has them all): systemd refuses to start a service
# whose SupplementaryGroups= do not exist.
ensure_groups() {
	[ -z "$root" ] || return 0
	for g in i2c video input gpio; do
		if ! getent group "$g" >/dev/null 2>&1; then
			say "creating missing system group $g"
			groupadd --system "$g" || warn "could not create group $g; the service will not start until it exists"
		fi
	done
}

do_install() {
	force=$1
	bin=$2
	[ -n "$bin" ] || bin=$here/sensehatd
	unit_src=$here/sensehatd.service
	env_src=$here/sensehatd.env

	[ -f "$bin" ] || die "binary $bin not found; build it with make build-arm and pass its path"
	[ -f "$unit_src" ] || die "unit $unit_src not found; keep sensehatd.service next to $prog"
	[ -f "$env_src" ] || die "settings $env_src not found; keep sensehatd.env next to $prog"

	if ! version=$("$bin" --version 2>&1); then
		die "$bin does not run here: $version (built for another CPU? make build-arm builds for the Pi's armv7)"
	fi

	ok=1
	check_i2c || ok=0
	check_hat
	if dpkg_owned; then
		warn "sensehatd is installed from the .deb package; upgrade it with sudo apt install ./sensehatd_*.deb, or sudo apt remove sensehatd first"
		ok=0
	fi
	if [ "$ok" -eq 0 ] && [ "$force" -eq 0 ]; then
		die "not installing; fix the above or run again with --force"
	fi

	ensure_groups

	say "installing $version"
	mkdir -p "$(dirname "$bin_dst")" "$(dirname "$unit_dst")" "$(dirname "$env_dst")"
	# Copy then rename, so a running daemon's executable is never half-written.
	cp "$bin" "$bin_dst.new"
	chmod 0755 "$bin_dst.new"
	mv -f "$bin_dst.new" "$bin_dst"
	cp "$unit_src" "$unit_dst.new"
	chmod 0644 "$unit_dst.new"
	mv -f "$unit_dst.new" "$unit_dst"
	if [ -e "$env_dst" ]; then
		say "keeping the existing $env_dst (the defaults are in $env_src)"
	else
		# 0600: it may come to hold a NATS password.
		(umask 077 && cp "$env_src" "$env_dst")
		say "wrote $env_dst; edit it to set the NATS server (NATS_URL) and device id"
	fi

	if have_systemd; then
		systemctl daemon-reload
		systemctl enable sensehatd.service
		# restart, not start: a re-install must run the new binary.
		systemctl restart sensehatd.service
		if systemctl is-active --quiet sensehatd.service; then
			say "sensehatd is running"
		else
			warn "sensehatd did not stay up; see the log below"
		fi
	else
		say "systemd is not running here: enable the service later with systemctl enable --now sensehatd"
	fi
	cat <<EOF
Logs:     journalctl -u sensehatd -f
Status:   systemctl status sensehatd
Settings: $env_dst (then: sudo systemctl restart sensehatd)
EOF
}

do_uninstall() {
	purge=$1
	if dpkg_owned; then
		die "sensehatd was installed from the .deb package; remove it with sudo apt remove sensehatd (or apt purge)"
	fi
	if have_systemd; then
		systemctl disable --now sensehatd.service 2>/dev/null || true
	fi
	rm -f "$bin_dst" "$unit_dst"
	if have_systemd; then
		systemctl daemon-reload
		systemctl reset-failed sensehatd.service 2>/dev/null || true
	fi
	if [ "$purge" -eq 1 ]; then
		rm -f "$env_dst"
		rm -rf "$state_dir" "$root/var/lib/sensehatd"
		say "sensehatd removed with its settings and calibration"
	else
		say "sensehatd removed; kept $env_dst and the calibration in /var/lib/sensehatd (--purge deletes them)"
	fi
}

main() {
	args="$*"
	mode=install
	force=0
	purge=0
	bin=
	hub=
	fleet=
	while [ $# -gt 0 ]; do
		case $1 in
		--uninstall) mode=uninstall ;;
		--store-and-forward)
			[ $# -ge 2 ] || die "--store-and-forward needs the hub's leaf node URL, e.g. nats-leaf://hub.local:7422"
			hub=$2
			shift
			;;
		--fleet)
			[ $# -ge 2 ] || die "--fleet needs the directory sensehat fleet add ID wrote (fleet/pi/ID)"
			fleet=$2
			shift
			;;
		--purge) purge=1 ;;
		--force) force=1 ;;
		-h | --help)
			usage
			exit 0
			;;
		-*)
			usage >&2
			die "unknown option $1"
			;;
		*)
			[ -z "$bin" ] || die "only one BINARY may be given"
			bin=$1
			;;
		esac
		shift
	done
	if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
		die "must run as root: sudo sh $0 $args"
	fi
	if [ "$purge" -eq 1 ] && [ "$mode" != uninstall ]; then
		die "--purge goes with --uninstall"
	fi
	if [ -n "$hub$fleet" ] && [ "$mode" = uninstall ]; then
		die "--store-and-forward and --fleet go with an install"
	fi
	if [ -n "$hub" ] && [ -n "$fleet" ]; then
		die "--fleet already makes the Pi a store-and-forward leaf node: leave out --store-and-forward"
	fi
	fsetup=$here/nats/setup-fleet-pi.sh
	[ -f "$fsetup" ] || fsetup=$here/setup-fleet-pi.sh
	if [ -n "$fleet" ] && [ ! -f "$fsetup" ]; then
		die "--fleet needs $here/nats/setup-fleet-pi.sh: run $prog from a copy of the whole deploy directory"
	fi
	# setup-pi.sh sits in nats/ in the source tree and the .deb, and
	# beside this script when make deploy copies the files.
	setup=$here/nats/setup-pi.sh
	[ -f "$setup" ] || setup=$here/setup-pi.sh
	if [ -n "$hub" ] && [ ! -f "$setup" ]; then
		die "--store-and-forward needs $here/nats/setup-pi.sh: run $prog from a copy of the whole deploy directory"
	fi
	if [ "$mode" = uninstall ]; then
		do_uninstall "$purge"
	else
		do_install "$force" "$bin"
		if [ -n "$hub" ]; then
			sh "$setup" "$hub"
		fi
		if [ -n "$fleet" ]; then
			sh "$fsetup" "$fleet"
		fi
	fi
}

main "$@"
