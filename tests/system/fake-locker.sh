#!/bin/sh
# A stand-in screen locker for the vakt system tests, run as the session's user inside a
# graphical logind session (tests.py installs it as /usr/local/bin/fake-locker and starts it as
# the session's first process: see start_graphical_session there).
#
#   fake-locker answer   SetIdleHint(true) at start; on logind's Lock signal for its session
#                        SetLockedHint(true), on Unlock SetIdleHint(false) and SetLockedHint(false)
#                        (a person typed a password): what a real locker
#                        (light-locker, xss-lock + i3lock, a desktop's shield) tells logind
#   fake-locker ignore   SetIdleHint(true) at start; notices Lock and Unlock, never answers
#
# It finds its session as a real locker does, by its own process (GetSessionByPID: fails when
# it is not in a session), and listens for the signals on that session's object only. Every
# step is a line on stdout ("fake-locker: ..."), which lands in the journal of its unit.
# Needs only what the guest has: busctl (systemd) and dbus-monitor (dbus-bin); dbus-monitor
# cannot become a monitor as an ordinary user and falls back to a match rule, which is enough
# for the broadcast Lock and Unlock signals.
set -u
mode=${1:-}
case $mode in
answer | ignore) ;;
*)
	echo "usage: fake-locker answer|ignore" >&2
	exit 2
	;;
esac

say() { echo "fake-locker: $*"; }
login1() { busctl call org.freedesktop.login1 "$@"; }

# o "/org/freedesktop/login1/session/_36"
path=$(login1 /org/freedesktop/login1 org.freedesktop.login1.Manager GetSessionByPID u $$) || {
	say "not in a logind session"
	exit 1
}
path=${path#o \"}
path=${path%\"}
id=$(busctl get-property org.freedesktop.login1 "$path" org.freedesktop.login1.Session Id)
id=${id#s \"}
id=${id%\"}
hint() { # SetIdleHint|SetLockedHint true|false
	if login1 "$path" org.freedesktop.login1.Session "$1" b "$2"; then
		say "$1 $2"
	else
		say "$1 $2 failed"
	fi
}

say "mode $mode, session $id ($path), pid $$"
# dbus-monitor's first line (the bus's NameAcquired for it) comes after its match rule is in
# place: only then is the session made idle, so no Lock can come before the locker listens.
ready=
dbus-monitor --system "type='signal',sender='org.freedesktop.login1',interface='org.freedesktop.login1.Session',path='$path'" 2>/dev/null |
	while read -r line; do
		if [ -z "$ready" ]; then
			ready=1
			say "listening"
			hint SetIdleHint true
		fi
		case $line in
		*"; member=Lock")
			say "Lock"
			[ "$mode" = answer ] && hint SetLockedHint true
			;;
		*"; member=Unlock")
			say "Unlock"
			# Unlocking means a person typed a password: the desktop is in use again.
			[ "$mode" = answer ] && hint SetIdleHint false && hint SetLockedHint false
			;;
		esac
	done
say "dbus-monitor ended"
