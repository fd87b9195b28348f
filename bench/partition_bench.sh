#!/usr/bin/env bash
# Issue 18's measurement: a range-partitioned table (8 monthly partitions and a default,
# 1,000,000 rows) under 4 pgbench clients that each update one row at a time, while one
# migration creates an index and a unique index on it, adds a foreign key and attaches a
# 200,000-row partition. Run once as a plain runner runs it (--plain: the file in one
# transaction) and once by tide; prints each run's worst application wait and failed requests,
# and whether both end with the same schema (pg_dump).
#   bench/partition_bench.sh "host=/tmp port=5432 user=postgres"   # a server tide may use
# It creates and drops the databases tide_pbench_plain and tide_pbench_tide. Needs pgbench,
# psql and pg_dump on PATH, and build/tide.
set -euo pipefail
cd "$(dirname "$0")/.."
conn=${1:?"usage: bench/partition_bench.sh CONNINFO (without dbname)"}
tide=$PWD/build/tide
seconds=${TIDE_BENCH_SECONDS:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {
  local mode=$1 db=tide_pbench_$1 dir=$work/$1
  psql "$conn dbname=postgres" -X -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  mkdir -p "$dir/migrations"
  cat > "$dir/migrations/V1__create.sql" <<'SQL'
CREATE TABLE ev (id bigint NOT NULL, ts date NOT NULL, v int NOT NULL, w text) PARTITION BY RANGE (ts);
CREATE TABLE ev_01 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE ev_02 PARTITION OF ev FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE ev_03 PARTITION OF ev FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
CREATE TABLE ev_04 PARTITION OF ev FOR VALUES FROM ('2024-04-01') TO ('2024-05-01');
CREATE TABLE ev_05 PARTITION OF ev FOR VALUES FROM ('2024-05-01') TO ('2024-06-01');
CREATE TABLE ev_06 PARTITION OF ev FOR VALUES FROM ('2024-06-01') TO ('2024-07-01');
CREATE TABLE ev_07 PARTITION OF ev FOR VALUES FROM ('2024-07-01') TO ('2024-08-01');
CREATE TABLE ev_08 PARTITION OF ev FOR VALUES FROM ('2024-08-01') TO ('2024-09-01');
CREATE TABLE ev_default PARTITION OF ev DEFAULT;
CREATE UNIQUE INDEX ev_pk ON ev (id, ts);
CREATE TABLE kinds (v int PRIMARY KEY);
CREATE TABLE ev_09 (id bigint NOT NULL, ts date NOT NULL, v int NOT NULL, w text);
SQL
  cat > "$dir/migrations/V2__change.sql" <<'SQL'
CREATE INDEX ev_v_w ON ev (v, w);
CREATE UNIQUE INDEX ev_u ON ev (id, ts, v);
ALTER TABLE ev ADD FOREIGN KEY (v) REFERENCES kinds (v);
ALTER TABLE ev ATTACH PARTITION ev_09 FOR VALUES FROM ('2024-09-01') TO ('2024-10-01');
SQL
  printf 'locations = ["migrations"]\n' > "$dir/tide.toml"
  (cd "$dir" && "$tide" --url "$conn dbname=$db" migrate --target 1 > /dev/null)
  psql "$conn dbname=$db" -X -q \
    -c "INSERT INTO ev SELECT g, DATE '2024-01-01' + (g % 243), g % 1000, md5(g::text) FROM generate_series(1, 1000000) g" \
    -c "INSERT INTO kinds SELECT generate_series(0, 999)" \
    -c "INSERT INTO ev_09 SELECT 2000000 + g, DATE '2024-09-01' + (g % 30), g % 1000, md5(g::text) FROM generate_series(1, 200000) g" \
    -c "VACUUM ANALYZE"
  printf '\\set id random(1, 1000000)\nUPDATE ev SET v = v WHERE id = :id AND ts = DATE %s + (:id %% 243);\n' \
    "'2024-01-01'" > "$dir/app.sql"
  (cd "$dir" && pgbench "$conn dbname=$db" -n -c 4 -T "$seconds" -f app.sql -l --log-prefix="$dir/lat" \
    > "$dir/pgbench.out" 2>&1) &
  local load=$!
  sleep 4
  local args=()
  [[ $mode == plain ]] && args=(--plain)
  local start end
  start=$(date +%s.%N)
  (cd "$dir" && "$tide" --url "$conn dbname=$db" migrate "${args[@]}") > "$dir/migrate.out" 2>&1
  end=$(date +%s.%N)
  wait "$load"
  printf '%s: migration %.1f s, ' "$mode" "$(echo "$end - $start" | bc)"
  grep -o "number of failed transactions: [0-9]*" "$dir/pgbench.out" | tr '\n' ',' || true
  cat "$dir"/lat* | awk '{ if ($3 > max) max = $3 } END { printf " worst wait %.1f ms over %d requests\n", max / 1000, NR }'
  pg_dump "$conn dbname=$db" -s --exclude-table='*.tide_*' | grep -v '^\\\(un\)\?restrict' > "$work/$mode.sql"
  psql "$conn dbname=postgres" -X -q -c "DROP DATABASE $db"
}

run plain
run tide
if diff -q "$work/plain.sql" "$work/tide.sql" > /dev/null; then
  echo "end schema: the same"
else
  echo "end schema: DIFFERS"; diff "$work/plain.sql" "$work/tide.sql" | head -20; exit 1
fi
