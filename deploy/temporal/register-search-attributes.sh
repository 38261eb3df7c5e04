#!/bin/sh
# One-shot (service temporal-search-attributes, image temporalio/admin-tools): makes sure the
# namespace exists and carries the custom search attributes the order workflows set
# (workflows/definitions.ts, SEARCH_ATTRIBUTES; test/ops/deploy.test.ts keeps the two lists equal).
# Idempotent: what exists is left alone.
set -eu

ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TEMPORAL_RETENTION:-30d}
SEARCH_ATTRIBUTES="OrderId:Keyword CustomerId:Keyword OrderStatus:Keyword OrderTotal:Int ShipmentStatus:Keyword"

attempt=1
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  if [ "$attempt" -ge 60 ]; then
    echo "Temporal at $ADDRESS is not healthy after $attempt attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" --address "$ADDRESS"
fi

# A new namespace takes a few seconds to reach every frontend's cache.
attempt=1
until existing=$(temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS" 2>&1); do
  if [ "$attempt" -ge 30 ]; then
    echo "$existing" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done
for entry in $SEARCH_ATTRIBUTES; do
  name=${entry%%:*}
  type=${entry#*:}
  if echo "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type" --address "$ADDRESS"
  fi
done
echo "namespace $NAMESPACE ready with its search attributes"
