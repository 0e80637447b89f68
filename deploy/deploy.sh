#!/usr/bin/env bash
# Deploys ImageHost on one Debian/Ubuntu or Amazon Linux machine, idempotently: run it again to upgrade.
#
#   deploy/deploy.sh install [--dry-run]   install Node, Redis and Nginx from the OS, build, write config, (re)start
#   deploy/deploy.sh render-nginx          print the Nginx site for the settings below (used by install and tests)
#
# Settings (environment): SERVER_NAME (default: the hostname), LISTEN (80), APP_PORT (3000, this box's node),
# UPSTREAMS (host:port list of every node behind Nginx; default 127.0.0.1:$APP_PORT), MAX_UPLOAD_BYTES
# (20971520), and ImageHost variables copied into /etc/imagehost/imagehost.env on first install
# (STORAGE_DRIVER, S3_*, REDIS_URL or REDIS_CLUSTER_NODES, UPLOAD_SIGNING_SECRET, METRICS_TOKEN, ADMIN_USERNAMES,
# REGISTRATION — which defaults to invite here, …).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
SERVER_NAME="${SERVER_NAME:-$(hostname -f 2>/dev/null || hostname)}"
LISTEN="${LISTEN:-80}"
APP_PORT="${APP_PORT:-3000}"
UPSTREAMS="${UPSTREAMS:-127.0.0.1:$APP_PORT}"
MAX_UPLOAD_BYTES="${MAX_UPLOAD_BYTES:-20971520}"
PASSED_THROUGH=(STORAGE_DRIVER S3_BUCKET S3_REGION S3_ENDPOINT S3_FORCE_PATH_STYLE S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY
  S3_PUBLIC_URL REDIS_URL REDIS_CLUSTER_NODES UPLOAD_SIGNING_SECRET METRICS_TOKEN GRAPHQL_EXPLORER CORS_ORIGINS
  ADMIN_USERNAMES)
DRY_RUN=0

run() {
  if [ "$DRY_RUN" = 1 ]; then echo "+ $*"; else "$@"; fi
}

render_nginx() {
  local servers="" node
  IFS=',' read -ra nodes <<<"$UPSTREAMS"
  for node in "${nodes[@]}"; do
    servers+="    server ${node} max_fails=1 fail_timeout=5s;"$'\n'
  done
  # Nginx wants a size with a unit; round the byte limit up to whole kilobytes, plus room for headers.
  local body_kb=$(( (MAX_UPLOAD_BYTES + 1023) / 1024 + 64 ))
  local template
  template="$(cat "$here/nginx-site.conf.template")"
  template="${template//@@UPSTREAM_SERVERS@@/${servers%$'\n'}}"
  template="${template//@@LISTEN@@/$LISTEN}"
  template="${template//@@SERVER_NAME@@/$SERVER_NAME}"
  template="${template//@@CLIENT_MAX_BODY_SIZE@@/${body_kb}k}"
  printf '%s\n' "$template"
}

env_file_contents() {
  local name
  echo "HOST=127.0.0.1"
  echo "PORT=${APP_PORT}"
  echo "PUBLIC_URL=https://${SERVER_NAME}"
  echo "TRUST_PROXY=1"
  echo "DATA_DIR=/var/lib/imagehost"
  echo "MAX_UPLOAD_BYTES=${MAX_UPLOAD_BYTES}"
  # An instance on the internet starts invite-only: the ADMIN_USERNAMES register first and hand out invites.
  echo "REGISTRATION=${REGISTRATION:-invite}"
  for name in "${PASSED_THROUGH[@]}"; do
    [ -n "${!name:-}" ] && echo "${name}=${!name}"
  done
  # Every node must share one signing secret: set UPLOAD_SIGNING_SECRET yourself when running several.
  [ -n "${UPLOAD_SIGNING_SECRET:-}" ] || echo "UPLOAD_SIGNING_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '=+/')"
}

install_packages() {
  if command -v apt-get >/dev/null 2>&1; then
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm redis-server nginx
  elif command -v dnf >/dev/null 2>&1; then
    # Amazon Linux 2023: Redis is packaged as redis6.
    run dnf install -y nodejs20 nodejs20-npm nginx redis6
  else
    echo "deploy.sh: unsupported system (need apt-get or dnf)" >&2
    exit 1
  fi
}

check_node() {
  [ "$DRY_RUN" = 1 ] && return 0
  local version
  version="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
    echo "deploy.sh: ImageHost needs Node.js 20.19 or newer; this system packages ${version}. Install Node 20+ (e.g. from NodeSource) and run again." >&2
    exit 1
  fi
}

install() {
  [ "$DRY_RUN" = 1 ] || [ "$(id -u)" = 0 ] || { echo "deploy.sh: run as root (or with --dry-run)" >&2; exit 1; }
  install_packages
  check_node
  id imagehost >/dev/null 2>&1 || run useradd --system --home /var/lib/imagehost --shell /usr/sbin/nologin imagehost
  run mkdir -p /opt/imagehost /var/lib/imagehost /etc/imagehost
  run cp -a "$repo/." /opt/imagehost/
  run bash -c "cd /opt/imagehost && (npm ci --omit=dev --no-audit --no-fund || npm ci --no-audit --no-fund) && npm run build"
  run chown -R imagehost:imagehost /var/lib/imagehost
  if [ ! -f /etc/imagehost/imagehost.env ]; then
    local env_file
    env_file="$(env_file_contents)"
    if [ "$DRY_RUN" = 1 ]; then
      printf '+ write /etc/imagehost/imagehost.env (mode 0600):\n%s\n' "$env_file"
    else
      (umask 077 && printf '%s\n' "$env_file" >/etc/imagehost/imagehost.env)
    fi
  fi
  run install -m 0644 "$here/imagehost.service" /etc/systemd/system/imagehost.service
  if [ "$DRY_RUN" = 1 ]; then echo "+ write /etc/nginx/conf.d/imagehost.conf"; else render_nginx >/etc/nginx/conf.d/imagehost.conf; fi
  run nginx -t
  run systemctl daemon-reload
  run systemctl enable --now redis-server 2>/dev/null || run systemctl enable --now redis6
  run systemctl enable imagehost
  run systemctl restart imagehost
  run systemctl reload-or-restart nginx
  echo "deploy.sh: done. For TLS run: certbot --nginx -d ${SERVER_NAME}" >&2
}

case "${1:-}" in
  render-nginx) render_nginx ;;
  install)
    [ "${2:-}" = "--dry-run" ] && DRY_RUN=1
    install
    ;;
  *)
    sed -n '2,10p' "$0" >&2
    exit 2
    ;;
esac
