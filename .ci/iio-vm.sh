#!/usr/bin/env bash
# .ci/iio-vm.sh: sensehatd --sensors iio against the kernel's own IIO
# drivers. Boots the installed Debian kernel under qemu (TCG) from a busybox
# initramfs, puts register bytes into i2c-stub at the Sense HAT's addresses,
# binds st_pressure (lps25h 0x5c), st_lsm6dsx (lsm9ds1-imu 0x6a) and
# st_magn (lsm9ds1_magn 0x1c) to them, runs the built daemon and prints the
# payloads it publishes; the host then compares them with the datasheet
# values for those bytes (internal/e2e/iiovm). Debian's kernel builds no
# hts221, so the HTS221 is covered by the sysfs trees of the Go tests.
#
# Needs: qemu-system-x86, linux-image-amd64, busybox-static, go.
# IIO_VM_KERNEL picks a kernel version from /boot (default: the newest);
# IIO_VM_KEEP=1 keeps the work directory.
set -euo pipefail

cd "$(dirname "$0")/.."

kver=${IIO_VM_KERNEL:-}
if [ -z "$kver" ]; then
	for k in /boot/vmlinuz-*; do
		[ -e "$k" ] && kver=${k#/boot/vmlinuz-}
	done
fi
if [ -z "$kver" ] || [ ! -r "/boot/vmlinuz-$kver" ] || [ ! -d "/lib/modules/$kver" ]; then
	echo "iio-vm: no kernel in /boot with modules in /lib/modules; install linux-image-amd64" >&2
	exit 1
fi
for tool in qemu-system-x86_64 busybox modinfo go; do
	if ! command -v "$tool" >/dev/null; then
		echo "iio-vm: $tool not found; install qemu-system-x86, busybox-static, kmod and Go" >&2
		exit 1
	fi
done
busybox=$(command -v busybox)
# Read the whole list first: under pipefail, grep -q leaving at the first
# match would make busybox die of SIGPIPE and the test read as a failure.
applets=$("$busybox" --list)
if ! grep -qx i2cset <<<"$applets"; then
	echo "iio-vm: $busybox has no i2cset applet; install busybox-static" >&2
	exit 1
fi

work=$(mktemp -d)
cleanup() {
	if [ "${IIO_VM_KEEP:-}" = 1 ]; then
		echo "iio-vm: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
root=$work/root
mkdir -p "$root/bin" "$root/etc" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
cp "$busybox" "$root/bin/busybox"

# Modules in load order: each one's dependencies first, as modinfo lists them.
declare -A seen=()
order=()
add_module() {
	local m=$1 dep deps file
	[ -n "${seen[$m]:-}" ] && return 0
	seen[$m]=1
	deps=$(modinfo -k "$kver" -F depends "$m")
	for dep in ${deps//,/ }; do
		add_module "$dep"
	done
	file=$(modinfo -k "$kver" -F filename "$m")
	case $file in
	*.ko) cp "$file" "$root/lib/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$file" >"$root/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$file" >"$root/lib/modules/$m.ko" ;;
	*)
		echo "iio-vm: module $m: cannot load $file" >&2
		return 1
		;;
	esac
	order+=("$m")
}
for m in i2c-dev st_pressure_i2c st_lsm6dsx_i2c st_magn_i2c; do
	add_module "$m"
done
printf '%s\n' "${order[@]}" >"$root/etc/modules"
# i2c-stub goes in by hand, with the chip addresses.
cp "$(modinfo -k "$kver" -F filename i2c-stub)" "$root/lib/modules/i2c-stub.ko"

build_start=$(date +%s)
CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$root/bin/sensehatd" ./cmd/sensehatd
CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$root/bin/iiovm" ./internal/e2e/iiovm
"$root/bin/iiovm" regs >"$root/etc/regs"
echo "iio-vm: built sensehatd and iiovm in $(($(date +%s) - build_start))s; kernel $kver"

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
fail() { echo "IIOVM-FAIL $*"; poweroff -f; }
stamp() { read -r up _ </proc/uptime; echo "IIOVM-TIME ${up}s $*"; }
stamp "init started"
while read -r m; do
	insmod "/lib/modules/$m.ko" || fail "insmod $m"
done </etc/modules
insmod /lib/modules/i2c-stub.ko chip_addr=0x5c,0x6a,0x1c || fail "insmod i2c-stub"
bus=
for a in /sys/bus/i2c/devices/i2c-*; do
	grep -q stub "$a/name" && bus=${a##*/i2c-}
done
[ -n "$bus" ] || fail "no i2c-stub adapter"
while read -r addr reg val; do
	i2cset -y "$bus" "$addr" "$reg" "$val" || fail "i2cset $addr $reg $val"
done </etc/regs
new=/sys/bus/i2c/devices/i2c-$bus/new_device
echo lps25h 0x5c >"$new"
echo lsm9ds1-imu 0x6a >"$new"
echo lsm9ds1_magn 0x1c >"$new"
for d in /sys/bus/iio/devices/iio:device*; do
	echo "IIOVM-SYSFS ${d##*/} name=$(cat "$d/name")"
	for f in "$d"/in_*_raw "$d"/in_*_scale "$d"/in_*_offset "$d"/sampling_frequency*; do
		[ -f "$f" ] && echo "IIOVM-SYSFS ${d##*/} ${f##*/}=$(cat "$f")"
	done
done
stamp "drivers bound"
ifconfig lo 127.0.0.1 up
iiovm serve 60s &
server=$!
sensehatd --sensors iio --display none --joystick none --id vm \
	--nats nats://127.0.0.1:4222 --env-interval 200ms --motion-interval 100ms \
	--state-dir /tmp 2>&1 | sed 's/^/IIOVM-DAEMON /' &
wait "$server"
rc=$?
stamp "payloads received"
# sensehatd sets each device to its fastest rate, or one-shot reads crawl.
for d in /sys/bus/iio/devices/iio:device*; do
	echo "IIOVM-RATE $(cat "$d/name") $(cat "$d/sampling_frequency") $(cat "$d/sampling_frequency_available")"
done
echo "IIOVM-DONE $rc"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

# TCG: KVM hangs on some CI machines, and the test needs no speed.
log=$work/console.log
vm_start=$(date +%s)
timeout 150 qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp 1 \
	-kernel "/boot/vmlinuz-$kver" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 rdinit=/init" \
	-nographic -no-reboot -nic none </dev/null >"$log" 2>&1 || true
echo "iio-vm: VM ran $(($(date +%s) - vm_start))s"
grep -a 'IIOVM-' "$log" || true
if ! grep -aq 'IIOVM-DONE 0' "$log"; then
	echo "iio-vm: the VM did not finish its run; whole console:" >&2
	cat "$log" >&2
	exit 1
fi
"$root/bin/iiovm" check "$log"
