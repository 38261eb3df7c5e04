#!/bin/sh
# One-shot (service temporal-schema, image temporalio/admin-tools): sets up, then updates, Temporal's
# own schemas in temporal-db with the official temporal-sql-tool, as Temporal's compose examples do.
# Safe on every `docker compose up`: setup-schema -v 0.0 leaves a newer recorded version alone, and
# update-schema applies only the versions not applied yet. The databases themselves are made once by
# create-databases.sql; the password comes from SQL_PASSWORD in the environment. `npm run stack` runs
# this same script outside a container, with TEMPORAL_SCHEMA_DIR where it keeps the image's schemas.
set -eu

: "${TEMPORAL_DB_HOST:?}" "${TEMPORAL_DB_USER:?}" "${SQL_PASSWORD:?}"
PORT=${TEMPORAL_DB_PORT:-5432}
SCHEMA_DIR=${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12

for db in temporal:temporal temporal_visibility:visibility; do
  name=${db%%:*}
  versions="$SCHEMA_DIR/${db#*:}/versioned"
  temporal-sql-tool --plugin postgres12 --ep "$TEMPORAL_DB_HOST" -p "$PORT" -u "$TEMPORAL_DB_USER" --db "$name" setup-schema -v 0.0
  temporal-sql-tool --plugin postgres12 --ep "$TEMPORAL_DB_HOST" -p "$PORT" -u "$TEMPORAL_DB_USER" --db "$name" update-schema -d "$versions"
  echo "$name: schema up to date"
done
