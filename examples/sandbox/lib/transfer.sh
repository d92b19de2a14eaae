# transfer.sh: the old 2.x server's files on a fresh 3.x server, `ordo-sandbox up --fresh`
# (sourced by ordo-sandbox, never run). An admin copies them to ROOT/transfer (mode 0700, like
# /root): indico-2x.dump (a real `pg_dump -Fc` of a 2.3.5 database), indico-2x.conf (0600) and
# indico-2x-archive/ (the old server's numeric uid/gid 4242, modes 0644/0755 as tar left them).
#
# The dump is made of a throw-away database `indico2x` in the sandbox's cluster, dropped after.
# Without --peer it belongs to postgres and indico-2x.conf names this sandbox's database.
# With --peer it is what a real old server's dump holds: the objects belong to that server's own
# role (`indico2x` here, absent on the new server: ALTER ... OWNER TO a missing role), a
# reporting role had SELECT on them (GRANTs to another missing role), the extensions unaccent
# and pg_trgm were the superuser's (CREATE EXTENSION + COMMENT ON EXTENSION, which only their
# owner may run), and indico-2x.conf says the old server's `postgresql:///indico` (the default
# socket, which is not this sandbox's: a plan must write the new server's URI).

# write_transfer ADMIN-CONNINFO(no dbname) WITH_PLUGINS PLUGINS-LITERAL
write_transfer() {
  local pq=$1 plugins=$2 plist=$3 pgbin=$SBX_PGBIN dir=$ROOT/transfer fill
  mkdir -p "$dir"
  fill="$pq dbname=indico2x"
  if ((PEER)); then
    "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -d "$pq dbname=template1" >/dev/null <<'EOF' || die "old roles failed"
CREATE ROLE indico2x NOLOGIN;
CREATE ROLE indico2x_reports NOLOGIN;
CREATE DATABASE indico2x OWNER indico2x;
EOF
    "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -d "$pq dbname=indico2x" \
      -c 'CREATE EXTENSION unaccent; CREATE EXTENSION pg_trgm;' >/dev/null || die "old extensions failed"
    fill="$pq dbname=indico2x options='-c role=indico2x -c client_min_messages=warning'"
  else
    "$pgbin/psql" -X -q -d "$pq dbname=template1" -c 'CREATE DATABASE indico2x' >/dev/null
  fi
  fill_2x_db "$fill" "$plugins" || die "2.x schema failed"
  if ((PEER)); then
    "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -d "$fill" >/dev/null <<'EOF' || die "old grants failed"
GRANT USAGE ON SCHEMA public, indico TO indico2x_reports;
GRANT SELECT ON ALL TABLES IN SCHEMA public, indico TO indico2x_reports;
EOF
  fi
  "$pgbin/pg_dump" -Fc -f "$dir/indico-2x.dump" -d "$pq dbname=indico2x" || die "pg_dump failed"
  "$pgbin/psql" -X -q -d "$pq dbname=template1" -c 'DROP DATABASE indico2x' >/dev/null
  ((PEER)) && "$pgbin/psql" -X -q -d "$pq dbname=template1" -c 'DROP ROLE indico2x_reports; DROP ROLE indico2x' >/dev/null
  write_2x_conf "$dir/indico-2x.conf" "$SBX_PORT" "$plist"
  ((PEER)) && sed -i "s|^SQLALCHEMY_DATABASE_URI = .*|SQLALCHEMY_DATABASE_URI = 'postgresql:///indico'|" "$dir/indico-2x.conf"
  chmod 600 "$dir/indico-2x.conf"
  [[ $UP_FAULTS == *" missing-plugin "* ]] && sed -i "s/^PLUGINS = {\(.*\)}/PLUGINS = {\1, 'vc_dummy'}/" "$dir/indico-2x.conf"
  write_archive "$dir/indico-2x-archive"
  find "$dir/indico-2x-archive" -type d -exec chmod 755 {} + -o -type f -exec chmod 644 {} +
  ((EUID == 0)) && chown -R 4242:4242 "$dir/indico-2x-archive"
  chmod 700 "$dir"
}
