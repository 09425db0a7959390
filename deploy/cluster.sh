#!/usr/bin/env bash
# Starts WebhookPortal as a cluster on this machine, as docs/deploy.md describes it: a throw-away PostgreSQL,
# N portals with the same configuration, and nginx in front (sticky /_blazor, round robin for the rest).
#
#   deploy/cluster.sh up            PostgreSQL, `--migrate` once, the portals, nginx; prints the URL
#   deploy/cluster.sh kill I        SIGKILL portal I (1-based), as a crash would
#   deploy/cluster.sh start I       (re)start portal I and wait for its /healthz
#   deploy/cluster.sh stop I        stop portal I gracefully (SIGTERM)
#   deploy/cluster.sh status        which portals run
#   deploy/cluster.sh down          stop everything and delete the cluster's folder
#
# Settings (environment): CLUSTER_DIR (/tmp/webhookportal-cluster), CLUSTER_INSTANCES (2), CLUSTER_PORT (8080,
# the balancer), CLUSTER_ADMIN_EMAIL / CLUSTER_ADMIN_PASSWORD (the seeded admin), PORTAL_DLL (the Release build;
# built when missing). Every other variable of the caller reaches the portals too (e.g. Outbound__AllowedHosts__0).
# Needs: the .NET SDK, PostgreSQL server binaries and nginx (Debian: apt-get install -y postgresql nginx).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CLUSTER_DIR:-/tmp/webhookportal-cluster}"
instances="${CLUSTER_INSTANCES:-2}"
lb_port="${CLUSTER_PORT:-8080}"
dll="${PORTAL_DLL:-$root/WebhookPortal/bin/Release/net10.0/WebhookPortal.dll}"
admin_email="${CLUSTER_ADMIN_EMAIL:-admin@cluster.local}"
admin_password="${CLUSTER_ADMIN_PASSWORD:-Cluster-Admin-Pass-1}"

pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
portal_port() { sed -n "${1}p" "$dir/portal-ports"; }
# Running, and not a zombie nobody has reaped yet.
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }
wait_gone() { while alive "$1"; do sleep 0.1; done; }
connection_string() { echo "Host=127.0.0.1;Port=$(cat "$dir/pg-port");Username=portal;Database=webhookportal;Max Auto Prepare=64;Auto Prepare Min Usages=2"; }

# The same configuration for every portal: what docs/deploy.md lists.
portal_env() {
  export ASPNETCORE_ENVIRONMENT=Production
  export Database__Provider=PostgreSql
  export ConnectionStrings__Portal="$(connection_string)"
  export Seed__AdminEmail="$admin_email" Seed__AdminPassword="$admin_password"
  export PublicBaseUrl="http://127.0.0.1:$lb_port"
  export ReverseProxy__Enabled=true ReverseProxy__KnownProxies__0=127.0.0.1
  # Files (backups, job results) must be shared by all portals: one folder here, a shared volume in production.
  export Jobs__Directory="$dir/shared/jobs"
}

wait_healthy() {
  local url="$1" what="$2"
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$url/healthz" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "$what did not become healthy; see $dir/*.log" >&2
  return 1
}

start_portal() {
  local i="$1" port
  port="$(portal_port "$i")"
  if [ -f "$dir/portal-$i.pid" ] && alive "$(cat "$dir/portal-$i.pid")"; then
    echo "portal $i already runs"; return 0
  fi
  (
    portal_env
    cd "$dir/portal-$i"
    exec dotnet "$dll" --urls "http://127.0.0.1:$port" >>"$dir/portal-$i.log" 2>&1
  ) &
  echo $! >"$dir/portal-$i.pid"
  wait_healthy "http://127.0.0.1:$port" "portal $i"
  echo "portal $i: http://127.0.0.1:$port (pid $(cat "$dir/portal-$i.pid"))"
}

write_nginx_conf() {
  local servers="" i
  for i in $(seq 1 "$instances"); do
    servers+="    server 127.0.0.1:$(portal_port "$i") max_fails=1 fail_timeout=2s;"$'\n'
  done
  mkdir -p "$dir/nginx/tmp"
  cat >"$dir/nginx/nginx.conf" <<EOF
$( [ "$(id -u)" -eq 0 ] && echo "user root;" )
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/tmp/body;
  proxy_temp_path $dir/nginx/tmp/proxy;
  fastcgi_temp_path $dir/nginx/tmp/fastcgi;
  uwsgi_temp_path $dir/nginx/tmp/uwsgi;
  scgi_temp_path $dir/nginx/tmp/scgi;
  client_max_body_size 64m;

  # API calls and listener requests: any portal (round robin, keep-alive connections to the portals).
  upstream portals {
$servers    keepalive 64;
  }
  # Blazor's circuit (negotiate, then the WebSocket) must stay on the portal that holds it: sticky by client address.
  upstream portals_sticky {
    ip_hash;
$servers  }
  map \$http_upgrade \$connection_upgrade { default upgrade; '' ''; }

  server {
    listen 127.0.0.1:$lb_port;
    proxy_http_version 1.1;
    proxy_set_header Host \$host:\$server_port;
    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto \$scheme;
    # A portal that refuses the connection (stopped, restarting) is skipped; a request it already received is not sent twice.
    proxy_next_upstream error timeout http_502 http_503;

    location /_blazor {
      proxy_pass http://portals_sticky;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_read_timeout 1h;
    }

    location / {
      proxy_pass http://portals;
      proxy_set_header Connection "";
    }
  }
}
EOF
}

up() {
  [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2; exit 1; }
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx not found (apt-get install -y nginx)" >&2; exit 1; }
  [ -f "$dll" ] || dotnet build "$root/WebhookPortal/WebhookPortal.csproj" -c Release
  if [ -d "$dir" ]; then down >/dev/null 2>&1 || true; fi
  mkdir -p "$dir/shared/jobs"

  # 1. A throw-away PostgreSQL (as root it runs as Debian's postgres user, which must own its folder).
  free_port >"$dir/pg-port"
  mkdir -p "$dir/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pg"
  as_pg "'$pg_bin/initdb' -D '$dir/pg/data' -U portal --auth=trust" >/dev/null
  as_pg "'$pg_bin/pg_ctl' -D '$dir/pg/data' -l '$dir/pg/server.log' -w -o \"-p $(cat "$dir/pg-port") -k '$dir/pg' -c listen_addresses=127.0.0.1 -c max_connections=300\" start" >/dev/null
  "$pg_bin/psql" -h 127.0.0.1 -p "$(cat "$dir/pg-port")" -U portal -d postgres -qc "CREATE DATABASE webhookportal" >/dev/null
  echo "postgresql: $(connection_string)"

  # 2. Migrations and the seed, once, before any portal serves.
  (portal_env; cd "$dir"; dotnet "$dll" --migrate >"$dir/migrate.log" 2>&1) || { echo "--migrate failed; see $dir/migrate.log" >&2; exit 1; }

  # 3. The portals, each on its own port and folder.
  : >"$dir/portal-ports"
  local i
  for i in $(seq 1 "$instances"); do
    free_port >>"$dir/portal-ports"
    mkdir -p "$dir/portal-$i"
  done
  for i in $(seq 1 "$instances"); do start_portal "$i"; done

  # 4. nginx in front.
  write_nginx_conf
  /usr/sbin/nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
  wait_healthy "http://127.0.0.1:$lb_port" "nginx"
  echo "balancer: http://127.0.0.1:$lb_port (admin $admin_email)"
}

down() {
  if [ -f "$dir/nginx/nginx.pid" ]; then /usr/sbin/nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s stop 2>/dev/null || true; fi
  local pidfile
  for pidfile in "$dir"/portal-*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 1
  for pidfile in "$dir"/portal-*.pid; do
    [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
  done
  if [ -d "$dir/pg/data" ]; then as_pg "'$pg_bin/pg_ctl' -D '$dir/pg/data' -m immediate stop" >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
  echo "cluster stopped"
}

status() {
  local i pid
  for i in $(seq 1 "$(wc -l <"$dir/portal-ports")"); do
    pid="$(cat "$dir/portal-$i.pid" 2>/dev/null || echo none)"
    if [ "$pid" != none ] && alive "$pid"; then echo "portal $i: running (pid $pid, port $(portal_port "$i"))"; else echo "portal $i: stopped"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  kill) kill -9 "$(cat "$dir/portal-$2.pid")"; wait_gone "$(cat "$dir/portal-$2.pid")"; echo "portal $2 killed (SIGKILL)" ;;
  stop) kill "$(cat "$dir/portal-$2.pid")"; wait_gone "$(cat "$dir/portal-$2.pid")"; echo "portal $2 stopped" ;;
  start) start_portal "$2" ;;
  status) status ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
