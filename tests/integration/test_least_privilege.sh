#!/usr/bin/env bash
# Least privilege (issue 16, rows 6 and 7), through the real binary:
#   P1 the read-only role of sql/roles.sql: no warning, and the check ran
#      (it logs that the role reads only);
#   P2 the admin role (a superuser): a warning naming it; with
#      --require-read-only true the daemon stops with status 1 and --once
#      exits 1, each naming the key;
#   P3 a role with INSERT on one table and CREATE on the schema: the warning
#      names both;
#   P4 a URI with an unescaped '@' in the password (flag, environment,
#      config file, --check-config): refused at start, no piece of the
#      password in any output line;
#   P5 the same password percent-encoded on --db and --db=: the daemon runs,
#      /proc/PID/cmdline holds no piece of it, no log line does, and a
#      SIGHUP reload (which reads the flags again) still reaches the
#      database.
source "$(dirname "$0")/lib.sh"

BIN="$CASA_BUILD_DIR/casa-metricsd"
AS_OF=2025-06-30
# The password's pieces on either side of its '@': trust auth ignores it.
PIECE_1=Zq7wQ
PIECE_2=Xk9vW

step() { echo "--- $*" >&2; }

readyz_fresh() {
	[ "$(curl -s -o "$TEST_TMP/readyz.json" -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = 200 ] &&
		[ "$(jq -r '.stale' "$TEST_TMP/readyz.json")" = false ]
}

no_piece_in() { # FILE...: no piece of the password in any line
	! grep -l -e "$PIECE_1" -e "$PIECE_2" "$@" || fail "a piece of the password in $*: $(grep -h -e "$PIECE_1" -e "$PIECE_2" "$@" | head -3)"
}

# run_daemon NAME ARGS...: starts the daemon on a free port with the
# arguments, log in $TEST_TMP/NAME.log; sets PORT and DAEMON_PID.
run_daemon() {
	local name=$1
	shift
	PORT=$(free_port)
	"$BIN" --listen "127.0.0.1:$PORT" --as-of "$AS_OF" --timezone UTC --refresh 3600 \
		--state-dir "$TEST_TMP/state-$name" "$@" >"$TEST_TMP/$name.log" 2>&1 &
	DAEMON_PID=$!
	TEST_PIDS+=("$DAEMON_PID")
}

stop_daemon() {
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" || fail "daemon exit status $? on SIGTERM"
}

admin=$(fresh_db least_privilege)
CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$admin" --children 300 \
	--seed 3 --as-of "$AS_OF" >/dev/null 2>&1 || fail "seed"
pg_port=$(sed -E 's/.*port=([0-9]+).*/\1/' <<<"$admin")
reader=${admin/user=casa_admin/user=casa_metricsd}

##############################################################################
step "P1 the read-only role"
run_daemon p1 --db "$reader"
wait_for 60 readyz_fresh "$PORT" || fail "not fresh with the read-only role: $(tail -5 "$TEST_TMP/p1.log")"
grep -q "role: casa_metricsd reads only" "$TEST_TMP/p1.log" ||
	fail "the role check did not run: $(cat "$TEST_TMP/p1.log")"
if grep -q "can write" "$TEST_TMP/p1.log"; then fail "the read-only role was warned about"; fi
stop_daemon

##############################################################################
step "P2 the admin role (superuser)"
run_daemon p2 --db "$admin"
wait_for 60 readyz_fresh "$PORT" || fail "not fresh with the admin role"
grep -q "role: casa_admin can write (superuser), yet the daemon only reads" "$TEST_TMP/p2.log" ||
	fail "no warning for a superuser: $(cat "$TEST_TMP/p2.log")"
stop_daemon

run_daemon p2-refused --db "$admin" --require-read-only true
status=0
timeout 30 tail --pid="$DAEMON_PID" -f /dev/null || fail "the daemon kept running with require_read_only"
wait "$DAEMON_PID" || status=$?
[ "$status" -eq 1 ] || fail "require_read_only: exit status $status, not 1"
grep -q "require_read_only: role casa_admin can write (superuser); refusing to read with it" \
	"$TEST_TMP/p2-refused.log" || fail "refusal not logged: $(cat "$TEST_TMP/p2-refused.log")"
if grep -q "refresh: serving snapshot" "$TEST_TMP/p2-refused.log"; then
	fail "a snapshot was read with a refused role"
fi

status=0
"$BIN" --once --output "$TEST_TMP/once" --db "$admin" --as-of "$AS_OF" --timezone UTC \
	--state-dir "$TEST_TMP/state-once" --require-read-only true >"$TEST_TMP/once.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "--once with require_read_only: exit status $status"
grep -q "require_read_only: role casa_admin can write" "$TEST_TMP/once.log" ||
	fail "--once refusal not logged: $(cat "$TEST_TMP/once.log")"
[ ! -e "$TEST_TMP/once/manifest.json" ] || fail "--once wrote tables with a refused role"
# and the read-only role passes it (the refusal above is the role's)
"$BIN" --once --output "$TEST_TMP/once-ro" --db "$reader" --as-of "$AS_OF" --timezone UTC \
	--state-dir "$TEST_TMP/state-once-ro" --require-read-only true >"$TEST_TMP/once-ro.log" 2>&1 ||
	fail "--once with the read-only role and require_read_only: $(tail -3 "$TEST_TMP/once-ro.log")"

##############################################################################
step "P3 a role with INSERT on one table and CREATE on the schema"
psql "$admin" -XqAt -v ON_ERROR_STOP=1 >/dev/null <<-'SQL' || fail "writer role"
	DO $$ BEGIN
	    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'casa_lp_writer') THEN
	        CREATE ROLE casa_lp_writer LOGIN;
	    END IF;
	END $$;
	GRANT USAGE, CREATE ON SCHEMA deid TO casa_lp_writer;
	GRANT SELECT ON ALL TABLES IN SCHEMA deid TO casa_lp_writer;
	GRANT INSERT ON deid.children TO casa_lp_writer;
SQL
run_daemon p3 --db "${admin/user=casa_admin/user=casa_lp_writer}"
wait_for 60 readyz_fresh "$PORT" || fail "not fresh with the writer role: $(tail -5 "$TEST_TMP/p3.log")"
grep -q "role: casa_lp_writer can write (INSERT on 1 table of the schema (e.g. children); CREATE on the schema)" \
	"$TEST_TMP/p3.log" || fail "writer warning: $(grep role: "$TEST_TMP/p3.log")"
stop_daemon
psql "$admin" -XqAt -c "DROP OWNED BY casa_lp_writer" >/dev/null

##############################################################################
step "P4 an unescaped '@' in a URI password"
bad_uri="postgresql://casa_metricsd:$PIECE_1@$PIECE_2@127.0.0.1:$pg_port/least_privilege"
for how in flag env file check; do
	status=0
	# timeout: a daemon that accepted the URI would run on
	case $how in
	flag) timeout 20 "$BIN" --db "$bad_uri" --state-dir "$TEST_TMP/state-p4" --listen "127.0.0.1:$(free_port)" ;;
	env) CASA_METRICS_DB=$bad_uri timeout 20 "$BIN" --state-dir "$TEST_TMP/state-p4" --listen "127.0.0.1:$(free_port)" ;;
	file)
		printf 'db = "%s"\n' "$bad_uri" >"$TEST_TMP/bad.conf"
		timeout 20 "$BIN" --config "$TEST_TMP/bad.conf" --state-dir "$TEST_TMP/state-p4" --listen "127.0.0.1:$(free_port)"
		;;
	check) "$BIN" --db "$bad_uri" --check-config ;;
	esac >"$TEST_TMP/p4-$how.log" 2>&1 || status=$?
	[ "$status" -ne 0 ] || fail "$how: a URI with an unescaped '@' was accepted"
	grep -q "db: the URI has an unescaped '@' or '/'" "$TEST_TMP/p4-$how.log" ||
		fail "$how: unclear refusal: $(cat "$TEST_TMP/p4-$how.log")"
	no_piece_in "$TEST_TMP/p4-$how.log"
done

##############################################################################
step "P5 the percent-encoded password on the command line"
good_uri="postgresql://casa_metricsd:$PIECE_1%40$PIECE_2@127.0.0.1:$pg_port/least_privilege"
for form in separate joined; do
	if [ $form = separate ]; then
		run_daemon "p5-$form" --db "$good_uri"
	else
		run_daemon "p5-$form" "--db=$good_uri"
	fi
	log=$TEST_TMP/p5-$form.log
	wait_for 60 readyz_fresh "$PORT" || fail "$form: not fresh: $(tail -5 "$log")"
	tr '\0' ' ' <"/proc/$DAEMON_PID/cmdline" >"$TEST_TMP/cmdline"
	grep -q -- "--db" "$TEST_TMP/cmdline" || fail "$form: cmdline unreadable: $(cat "$TEST_TMP/cmdline")"
	no_piece_in "$TEST_TMP/cmdline"
	grep -q "database host=127.0.0.1 port=$pg_port dbname=least_privilege" "$log" ||
		fail "$form: start line does not describe the database: $(head -5 "$log")"
	# the reload reads the flags again: from the copy, not the scrubbed argv
	kill -HUP "$DAEMON_PID"
	wait_for 20 grep -q "reload: configuration applied" "$log" || fail "$form: no reload"
	reloaded_ok() { [ "$(grep -c -E 'refresh: (serving snapshot|refresh key .* content unchanged)' "$log")" -ge 2 ]; }
	wait_for 60 reloaded_ok || fail "$form: no refresh after the reload: $(tail -5 "$log")"
	if grep -q "refresh: failed" "$log"; then fail "$form: a refresh failed: $(grep 'refresh: failed' "$log")"; fi
	stop_daemon
	no_piece_in "$log"
done

echo "ok: least privilege"
