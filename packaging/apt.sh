# Sourced by packaging/install.sh and tests/install-deps.sh: `apt_install PKG...` installs the
# Debian packages not installed yet. Before that, `apt-get update` unless one of these scripts
# ran it less than an hour ago (a fresh machine's lists may be empty or stale; the second script
# of one run skips it). With every package there, it touches neither apt nor the network.
export DEBIAN_FRONTEND=noninteractive

apt_install() {
    missing=
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' \
            || missing="$missing $pkg"
    done
    [ -n "$missing" ] || return 0
    stamp=/run/scopebox-apt-updated
    if [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
        apt-get update -q >/dev/null
        touch "$stamp"
    fi
    # shellcheck disable=SC2086  # one word per package
    apt-get install -y -q --no-install-recommends $missing >/dev/null
}
