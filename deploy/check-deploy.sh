#!/bin/sh
# check-deploy.sh: runs make deploy and make uninstall against stand-ins for
# ssh, scp and sudo that act on this machine, and checks that root only
# ever runs install.sh from a private directory:
#
#   - a directory an attacker made first at the predictable path
#     $TMPDIR/sensehatd-install (with an install.sh of their own) is not
#     used, and the old fixed /tmp/sensehatd-install is not either;
#   - the directory sudo runs install.sh from is, at that moment, mode
#     0700 and owned by the login user;
#   - it is gone afterwards: after a good install, after install.sh fails,
#     after a copy fails, and after the check refuses a directory that was
#     opened up or holds a symlink (sudo must not run then at all);
#   - the files arrive intact (the installed binary is the one built) and
#     make uninstall removes it again;
#   - make deploy FLEET=... installs the device's own identity there;
#   - make deploy HUB=... also runs setup-pi.sh there, and a hub URL that
#     could break out of the quoted command root runs is refused before
#     anything runs on the Pi.
#
# The "Pi" is this machine: the ssh stand-in runs the command with sh, with
# TMPDIR set to a scratch directory (mode 1777, like /tmp); the sudo
# stand-in runs it as the same user with SENSEHAT_INSTALL_ROOT set to a
# scratch tree, so install.sh writes there and calls no systemctl.
# Run from the repository root; needs make and Go.
set -eu

cd "$(dirname -- "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
fake=$work/fake
rtmp=$work/remote-tmp
root=$work/root
mkdir -p "$fake" "$rtmp" "$root/dev"
chmod 1777 "$rtmp"

cat >"$fake/ssh" <<'EOF'
#!/bin/sh
# ssh stand-in: runs the remote command here, as the remote login shell
# would: the arguments joined by spaces, then parsed by a shell.
while [ $# -gt 0 ]; do
	case $1 in
	-[tTqvnNAaxXCk46]*) shift ;;
	-[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;
	-*) shift ;;
	*) break ;;
	esac
done
shift # the host
printf 'ssh: %s\n' "$*" >>"$CHECK_LOG"
TMPDIR=$CHECK_REMOTE_TMP PATH=$CHECK_FAKE:$PATH exec sh -c "$*"
EOF

cat >"$fake/scp" <<'EOF'
#!/bin/sh
# scp stand-in: copies the local files to HOST:DIR/ here. CHECK_SCP_FAIL=1
# fails after the first file; CHECK_SCP_CHMOD=MODE opens the directory up
# and CHECK_SCP_SYMLINK=1 adds a symlink, as an intruder would.
printf 'scp: %s\n' "$*" >>"$CHECK_LOG"
n=$#
i=0
dest=
for a; do
	i=$((i + 1))
	[ $i -eq $n ] && dest=${a#*:}
done
i=0
for a; do
	i=$((i + 1))
	[ $i -lt $n ] || break
	cp "$a" "$dest" || exit 1
	if [ "${CHECK_SCP_FAIL:-}" = 1 ]; then
		echo "scp: lost connection" >&2
		exit 1
	fi
done
[ -z "${CHECK_SCP_CHMOD:-}" ] || chmod "$CHECK_SCP_CHMOD" "$dest"
[ -z "${CHECK_SCP_SYMLINK:-}" ] || ln -s /etc/hostname "$dest/extra"
exit 0
EOF

cat >"$fake/sudo" <<'EOF'
#!/bin/sh
# sudo stand-in: records what root would run and the state of the
# directory it comes from, then runs it on the scratch root.
printf 'sudo: %s\n' "$*" >>"$CHECK_LOG"
for a; do
	case $a in
	*/install.sh)
		d=${a%/install.sh}
		printf '%s %s\n' "$d" "$(ls -ldn "$d" | awk '{ print $1, $3 }')" >>"$CHECK_SUDO_DIRS"
		;;
	esac
done
SENSEHAT_INSTALL_ROOT=$CHECK_ROOT exec "$@"
EOF
chmod +x "$fake/ssh" "$fake/scp" "$fake/sudo"

export CHECK_LOG="$work/log" CHECK_SUDO_DIRS="$work/sudo-dirs" CHECK_REMOTE_TMP="$rtmp" \
	CHECK_ROOT="$root" CHECK_FAKE="$fake"
me=$(id -u)

# The attacker's directory at the predictable path, with their install.sh.
evil=$rtmp/sensehatd-install
mkdir -p "$evil"
printf '#!/bin/sh\ntouch %s/pwned\n' "$work" >"$evil/install.sh"
cp "$evil/install.sh" "$work/evil-install.sh"
chmod 0777 "$evil"
if [ "$me" -eq 0 ]; then
	# As root here, make it another user's, as it would be on the Pi.
	chown -R 65534:65534 "$evil"
fi

passed=0
failed=0
ok() {
	passed=$((passed + 1))
	echo "ok    $*"
}
bad() {
	failed=$((failed + 1))
	echo "FAIL  $*" >&2
}
check() { # description command...
	what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# run NAME MAKE-ARGS...: one make run; its output goes to $work/NAME.out.
run() {
	name=$1
	shift
	: >"$CHECK_LOG"
	: >"$CHECK_SUDO_DIRS"
	if make --no-print-directory "$@" PI=pi@stand-in SSH="$fake/ssh" SCP="$fake/scp" \
		DEPLOY_BIN=bin/sensehatd >"$work/$name.out" 2>&1; then
		rc=0
	else
		rc=$?
	fi
}
# Only the attacker's directory may be left in the Pi's TMPDIR.
no_leftovers() {
	[ "$(cd "$rtmp" && ls -A)" = sensehatd-install ]
}
sudo_ran() { [ -s "$CHECK_SUDO_DIRS" ]; }
# private_dir: sudo ran install.sh from one fresh mktemp directory that was
# mode 0700 and ours, not the attacker's nor the old fixed one.
private_dir() {
	[ "$(wc -l <"$CHECK_SUDO_DIRS")" -eq 1 ] || return 1
	read -r d perms uid <"$CHECK_SUDO_DIRS"
	case $d in
	"$rtmp"/sensehatd-install.??????????) ;;
	*) return 1 ;;
	esac
	[ "$d" != "$evil" ] && [ "$d" != /tmp/sensehatd-install ] &&
		[ "$perms" = drwx------ ] && [ "$uid" = "$me" ]
}
used_dir() { cut -d' ' -f1 "$CHECK_SUDO_DIRS"; }
attacker_untouched() {
	[ ! -e "$work/pwned" ] && cmp -s "$evil/install.sh" "$work/evil-install.sh"
}

echo "== make deploy, with an attacker's directory at $evil"
: >"$root/dev/i2c-1" # install.sh wants I2C on
run deploy deploy
check "make deploy succeeds" [ "$rc" -eq 0 ]
check "sudo ran install.sh from a private mktemp directory (0700, uid $me): $(used_dir)" private_dir
check "the attacker's install.sh did not run and is unchanged" attacker_untouched
check "no command mentions the old fixed /tmp/sensehatd-install" sh -c "! grep -q '/tmp/sensehatd-install[/ ]' '$CHECK_LOG'"
check "the directory is gone afterwards" no_leftovers
check "the installed binary is the one built" cmp -s bin/sensehatd "$root/usr/bin/sensehatd"
check "the unit is installed" cmp -s deploy/sensehatd.service "$root/etc/systemd/system/sensehatd.service"

echo "== make deploy, install.sh fails (no I2C)"
rm -f "$root/dev/i2c-1"
run deploy-fails deploy
check "make deploy fails" [ "$rc" -ne 0 ]
check "install.sh said why" grep -q 'not installing' "$work/deploy-fails.out"
check "it ran from a private directory" private_dir
check "the directory is gone afterwards" no_leftovers
: >"$root/dev/i2c-1"

echo "== make deploy, the copy fails"
export CHECK_SCP_FAIL=1
run copy-fails deploy
unset CHECK_SCP_FAIL
check "make deploy fails" [ "$rc" -ne 0 ]
check "sudo did not run" sh -c "! [ -s '$CHECK_SUDO_DIRS' ]"
check "the directory is gone afterwards" no_leftovers

echo "== make deploy, the directory was opened up (0755) before sudo"
export CHECK_SCP_CHMOD=0755
run opened deploy
unset CHECK_SCP_CHMOD
check "make deploy fails" [ "$rc" -ne 0 ]
check "sudo did not run" sh -c "! [ -s '$CHECK_SUDO_DIRS' ]"
check "the check said why" grep -q 'is not a private directory' "$work/opened.out"
check "the directory is gone afterwards" no_leftovers

echo "== make deploy, a symlink appeared in the directory before sudo"
export CHECK_SCP_SYMLINK=1
run symlink deploy
unset CHECK_SCP_SYMLINK
check "make deploy fails" [ "$rc" -ne 0 ]
check "sudo did not run" sh -c "! [ -s '$CHECK_SUDO_DIRS' ]"
check "the check said why" grep -q 'is not a regular file' "$work/symlink.out"
check "the directory is gone afterwards" no_leftovers

echo "== make deploy HUB=...: the Pi also becomes a store-and-forward leaf node"
run hub deploy HUB=nats-leaf://sensehat-leaf:pw-9Zk2@hub.example:7422
check "make deploy HUB=... succeeds" [ "$rc" -eq 0 ]
check "it ran from a private directory" private_dir
check "setup-pi.sh wrote the leaf node configuration for that hub" \
	grep -q 'nats-leaf://sensehat-leaf:pw-9Zk2@hub.example:7422' "$root/etc/nats-server.conf"
check "that configuration, which holds the password, is not readable by others" \
	sh -c "ls -ln '$root/etc/nats-server.conf' | grep -q '^-rw-r-----'"
check "the password is not printed" sh -c "! grep -q pw-9Zk2 '$work/hub.out'"
check "the hub is named, password left out" grep -q 'sensehat-leaf:\*\*\*@hub.example:7422' "$work/hub.out"
check "sensehatd now talks to the local leaf node" \
	grep -q '^NATS_URL=nats://127.0.0.1:4222$' "$root/etc/default/sensehatd"
check "sensehatd mirrors its desired state into the Pi's JetStream" \
	grep -q '^SENSEHAT_DESIRED_MIRROR=sensehat-' "$root/etc/default/sensehatd"
check "the directory is gone afterwards" no_leftovers

echo "== make deploy FLEET=...: the Pi joins a fleet with its own identity"
go run ./cmd/sensehat fleet init "$work/fleet" --store "$work/hub-store" --leaf-host hub.example \
	--nats-server no-such-nats-server >"$work/fleet-init.out" 2>&1
go run ./cmd/sensehat fleet add pi1 --dir "$work/fleet" --offline >"$work/fleet-add.out" 2>&1
seed=$(sed -n '/BEGIN USER NKEY SEED/{n;p;}' "$work/fleet/pi/pi1/fleet-device.creds")
run fleet deploy FLEET="$work/fleet/pi/pi1"
check "make deploy FLEET=... succeeds" [ "$rc" -eq 0 ]
check "it ran from a private directory" private_dir
check "the device's credentials are installed, not readable by others" \
	sh -c "cmp -s '$work/fleet/pi/pi1/fleet-device.creds' '$root/etc/sensehat/device.creds' && ls -ln '$root/etc/sensehat/device.creds' | grep -q '^-rw-r-----'"
check "the Pi's nats-server logs in to the hub with them" \
	grep -q 'credentials: "/etc/sensehat/device.creds"' "$root/etc/nats-server.conf"
check "sensehatd logs in with them" \
	grep -q '^SENSEHAT_CREDS=/run/credentials/sensehatd.service/creds$' "$root/etc/default/sensehatd"
check "sensehatd mirrors its desired state into its own domain" \
	grep -q '^SENSEHAT_DESIRED_MIRROR=sensehat-pi1$' "$root/etc/default/sensehatd"
check "the seed is not printed" sh -c "[ -n '$seed' ] && ! grep -q '$seed' '$work/fleet.out'"
check "the directory is gone afterwards" no_leftovers

echo "== make deploy HUB=... with a character a URL cannot hold"
: >"$CHECK_LOG"
if SSH="$fake/ssh" SCP="$fake/scp" deploy/ssh-install.sh --store-and-forward \
	"nats-leaf://hub\";touch $work/pwned;\":7422" pi@stand-in bin/sensehatd >"$work/badhub.out" 2>&1; then
	rc=0
else
	rc=$?
fi
check "make deploy fails" [ "$rc" -ne 0 ]
check "ssh-install.sh said why" grep -q 'holds a character a URL cannot' "$work/badhub.out"
check "nothing ran on the Pi" sh -c "! [ -s '$CHECK_LOG' ]"
check "nothing ran the injected command" [ ! -e "$work/pwned" ]

echo "== make uninstall"
run uninstall uninstall
check "make uninstall succeeds" [ "$rc" -eq 0 ]
check "sudo ran install.sh --uninstall from a private directory: $(used_dir)" private_dir
check "the binary is removed" [ ! -e "$root/usr/bin/sensehatd" ]
check "the attacker's install.sh did not run" attacker_untouched
check "the directory is gone afterwards" no_leftovers

if [ "$failed" -ne 0 ]; then
	for f in "$work"/*.out; do
		echo "--- ${f##*/}" >&2
		cat "$f" >&2
	done
fi
echo "check-deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
