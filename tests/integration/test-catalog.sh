#!/bin/bash
# systemd/vakt.catalog: journalctl accepts it and it explains every MESSAGE_ID of lib/events.c.
# Needs only journalctl (no root, no running journald): works on a private --root.
. "$(dirname "$0")/lib.sh"

command -v journalctl >/dev/null || skip "no journalctl"
catalog=$SRC_DIR/systemd/vakt.catalog
[ -f "$catalog" ] || fail "$catalog missing"

# The IDs as the daemon emits them, taken from the source.
mapfile -t ids < <(grep -oE '"[0-9a-f]{32}"' "$SRC_DIR/lib/events.c" | tr -d '"')
[ ${#ids[@]} -ge 21 ] || fail "found only ${#ids[@]} MESSAGE_IDs in lib/events.c"
dups=$(printf '%s\n' "${ids[@]}" | sort | uniq -d)
[ -z "$dups" ] || fail "MESSAGE_ID used twice in lib/events.c: $dups"

# journalctl accepts nearly anything (a bad "--" line becomes text), so check the shape here:
# "-- ID", "Key: value" header lines, one blank line, text; @FIELD@ names valid journal fields.
awk '
	/^#/ && !in_entry { next }
	/^-- / { if (length($0) != 35 || $0 !~ /^-- [0-9a-f]+$/) { print FILENAME ":" NR ": bad ID line"; bad = 1 }
		 in_entry = 1; in_header = 1; subject = 0; next }
	in_header && /^$/ { if (!subject) { print FILENAME ":" NR ": no Subject"; bad = 1 }
			    in_header = 0; next }
	in_header { if ($0 !~ /^[A-Z][A-Za-z-]*: .+/) { print FILENAME ":" NR ": bad header"; bad = 1 }
		    if ($0 ~ /^Subject: /) subject = 1; next }
	!in_entry && NF { print FILENAME ":" NR ": text outside an entry"; bad = 1 }
	/@/ { s = $0; while (match(s, /@[^@ ]*@/)) { f = substr(s, RSTART + 1, RLENGTH - 2)
		if (f !~ /^[A-Z][A-Z0-9_]*$/) { print FILENAME ":" NR ": bad @" f "@"; bad = 1 }
		s = substr(s, RSTART + RLENGTH) } }
	END { exit bad }
' "$catalog" || fail "malformed catalog"

mkdir -p "$T/usr/lib/systemd/catalog" "$T/var/lib/systemd/catalog"
cp "$catalog" "$T/usr/lib/systemd/catalog/vakt.catalog"

journalctl --root="$T" --update-catalog 2>"$T/update.err" || fail "--update-catalog: $(cat "$T/update.err")"
# journalctl reports parse problems as warnings but still exits 0: any output is a failure.
[ ! -s "$T/update.err" ] || fail "--update-catalog complained: $(cat "$T/update.err")"
[ -s "$T/var/lib/systemd/catalog/database" ] || fail "no catalog database written"

journalctl --root="$T" --list-catalog >"$T/list" 2>"$T/list.err" || fail "--list-catalog failed"
[ ! -s "$T/list.err" ] || fail "--list-catalog complained: $(cat "$T/list.err")"

for id in "${ids[@]}"; do
	line=$(grep -E "^$id " "$T/list") || fail "catalog has no entry for $id"
	# --list-catalog prints "ID SUBJECT"; every entry needs a subject.
	[ -n "${line#"$id" }" ] || fail "$id has no Subject"
	journalctl --root="$T" --dump-catalog "$id" >"$T/entry" 2>"$T/entry.err" ||
		fail "--dump-catalog $id failed: $(cat "$T/entry.err")"
	[ ! -s "$T/entry.err" ] || fail "--dump-catalog $id complained: $(cat "$T/entry.err")"
	grep -q "^Defined-By: vakt$" "$T/entry" || fail "$id: no 'Defined-By: vakt'"
	grep -q "^Support: " "$T/entry" || fail "$id: no Support:"
	# Text after the header: at least a few lines of explanation.
	[ "$(sed '1,/^$/d' "$T/entry" | grep -c .)" -ge 3 ] || fail "$id: explanation too short"
	echo "ok $id ${line#"$id" }"
done

# No entry for an ID the daemon does not know (a stale or mistyped ID).
n_catalog=$(grep -cE '^-- [0-9a-f]{32}$' "$catalog")
[ "$n_catalog" -eq ${#ids[@]} ] || fail "catalog has $n_catalog entries, events.c ${#ids[@]} IDs"
echo "catalog: ${#ids[@]} entries"
