#!/usr/bin/env bash
# Makes this machine able to run the sidecar (mode "demo") or its test suite (mode "test"):
# installs missing Debian packages and npm dependencies, and starts MariaDB and Redis if they
# are not running. Safe to run again: it only does what is missing.
set -euo pipefail
mode="${1:-test}"
cd "$(dirname "$0")/.."

log() { printf 'bootstrap: %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    log "apt-get not found; install these by hand: $*"
    return 1
  fi
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need_pkgs=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_pkgs+=(mariadb-server)
command -v mysqldump >/dev/null 2>&1 || need_pkgs+=(mariadb-client)
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
if [ "$mode" = test ]; then
  command -v php >/dev/null 2>&1 || need_pkgs+=(php-cli)
  php -m 2>/dev/null | grep -qi '^mysqli$' || need_pkgs+=(php-mysql)
  # WordPress's personal data export builds a zip (ZipArchive); the admin pages' E2E downloads one.
  php -m 2>/dev/null | grep -qi '^zip$' || need_pkgs+=(php-zip)
  [ -d /usr/share/wordpress ] || need_pkgs+=(wordpress)
  # A theme is only a recommendation of the wordpress package; without one the front page is blank.
  [ -d /usr/share/wordpress/wp-content/themes/twentytwentythree ] || need_pkgs+=(wordpress-theme-twentytwentythree)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx)
  command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus)
  command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
fi
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  apt_install "${need_pkgs[@]}"
fi

# MariaDB: the machine's service on 127.0.0.1:3306 (root, empty password).
if ! mariadb-admin --protocol=tcp -h127.0.0.1 -uroot ping >/dev/null 2>&1; then
  log "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
  fi
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do
    mariadb-admin --protocol=tcp -h127.0.0.1 -uroot ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  mariadb-admin --protocol=tcp -h127.0.0.1 -uroot ping >/dev/null 2>&1 || { log "MariaDB did not start"; exit 1; }
fi
# Root over TCP with an empty password, as the machine's service is set up (a fresh package install uses unix_socket auth).
if ! mariadb --protocol=tcp -h127.0.0.1 -uroot -e 'SELECT 1' >/dev/null 2>&1; then
  mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES;" || true
fi

# Redis on 127.0.0.1:6379, nothing persisted.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if [ "$mode" = test ]; then
    log "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.25; done
  else
    log "Redis is not running on 127.0.0.1:6379; the sidecar will run on its in-process cache (start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no)"
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
log "ready ($mode)"
