#!/usr/bin/env bash
# Runs the instance's first-boot script (terraform/user_data.sh.tftpl, rendered as Terraform would) under bash, as
# cloud-init does, with recording fakes for everything that would change the machine: apt-get, curl, install, tee,
# systemctl, snap, the disk tools and mount. Checks what it installs, writes and mounts, on a new and on a reused volume.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/tests/fakes.sh
make_work
registry=123456789012.dkr.ecr.eu-west-1.amazonaws.com
volume_id=vol-0123456789abcdef0

render_user_data terraform/user_data.sh.tftpl "$work/user_data.sh" \
    deploy_dir=/opt/bookcat data_dir=/var/lib/bookcat api_port=9000 registry="$registry" volume_id="$volume_id" \
    volume_serial="${volume_id/-/}"

# Each fake records its call (and, for tee, what it would have written).
for tool in apt-get curl install chmod systemctl snap mkfs.ext4 mount chown sleep; do
    cat >"$work/bin/$tool" <<'FAKE'
#!/usr/bin/env bash
echo "$(basename "$0") $*" >>"$FAKE_LOG"
if [ "$(basename "$0")" = apt-get ] && [[ " $* " == *" update"* ]] && [ -n "${FAKE_APT_FAILS:-}" ] && [ ! -e "$FAKE_LOG.apt-failed" ]; then
    touch "$FAKE_LOG.apt-failed"
    exit 100
fi
exit 0
FAKE
done
cat >"$work/bin/tee" <<'FAKE'
#!/usr/bin/env bash
echo "tee $* <<< $(paste -sd ' ')" >>"$FAKE_LOG"
FAKE
cat >"$work/bin/dpkg" <<'FAKE'
#!/usr/bin/env bash
echo amd64
FAKE
cat >"$work/bin/getent" <<'FAKE'
#!/usr/bin/env bash
# The network comes up at the FAKE_NETWORK_AFTER-th look-up.
count=$(( $(cat "$FAKE_LOG.getent" 2>/dev/null || echo 0) + 1 ))
echo "$count" >"$FAKE_LOG.getent"
[ "$count" -ge "${FAKE_NETWORK_AFTER:-1}" ]
FAKE
cat >"$work/bin/readlink" <<'FAKE'
#!/usr/bin/env bash
# The attached volume shows up as /dev/nvme1n1 under its serial, as on a Nitro instance.
[[ "$*" == *nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0* ]] && { echo /dev/nvme1n1; exit 0; }
exit 1
FAKE
cat >"$work/bin/blkid" <<'FAKE'
#!/usr/bin/env bash
echo "blkid $*" >>"$FAKE_LOG"
if [ "$1" = "-s" ]; then echo 0a1b2c3d-0000-4000-8000-000000000001; exit 0; fi
[ "${FAKE_NEW_VOLUME:-0}" = 1 ] && exit 2
echo '/dev/nvme1n1: LABEL="bookcat-data" TYPE="ext4"'
FAKE
cat >"$work/bin/mountpoint" <<'FAKE'
#!/usr/bin/env bash
exit 1
FAKE
chmod +x "$work"/bin/*

boot() {
    rm -f "$work/calls.log.apt-failed" "$work/calls.log.getent"
    record env PATH="$work/bin:/usr/bin:/bin" FAKE_LOG="$work/calls.log" "$@" bash "$work/user_data.sh"
}

boot FAKE_NEW_VOLUME=1 FAKE_APT_FAILS=1 FAKE_NETWORK_AFTER=3
check "first boot on a new volume finishes" [ "$status" -eq 0 ]
check "it waits for the network" grep -q "waiting for the network (attempt 2)" "$work/out.log"
check "it retries a failed apt-get update" [ "$(grep -c 'apt-get -o DPkg::Lock::Timeout=300 update' "$work/calls.log")" -eq 3 ]
check "it never asks for Ubuntu 24.04's missing awscli package" not_called "awscli"
check "it installs the ECR credential helper" called "install -y --no-install-recommends ca-certificates curl amazon-ecr-credential-helper"
check "it installs Docker with the compose plugin" called "install -y docker-ce docker-ce-cli containerd.io docker-compose-plugin"
check "it starts Docker" called "systemctl enable --now docker"
check "it installs the AWS CLI from the snap (moving a catalog up reads Parameter Store)" called "snap install aws-cli --classic"
check "once snapd has seeded" called_before "snap wait system seed.loaded" "snap install aws-cli --classic"
check "docker uses the credential helper for the registry" called "tee /root/.docker/config.json <<< {\"credHelpers\": {\"$registry\": \"ecr-login\"}}"
check "a new volume is formatted" called "mkfs.ext4 -q -L bookcat-data /dev/nvme1n1"
check "the volume is in fstab by UUID, nofail" called "tee -a /etc/fstab <<< UUID=0a1b2c3d-0000-4000-8000-000000000001 /var/lib/bookcat ext4 defaults,nofail 0 2"
check "the volume is mounted" called "mount /var/lib/bookcat"
check "the data folder belongs to the image's user" called "chown 10001:10001 /var/lib/bookcat"
check "instance.env carries the API port and the data folder" called "tee /opt/bookcat/instance.env <<< BOOKCAT_PORT=9000 DATA_DIR=/var/lib/bookcat"

boot
check "a replacement instance boots on the existing volume" [ "$status" -eq 0 ]
check "an existing filesystem is never formatted" not_called "mkfs.ext4"
check "the existing volume is mounted" called "mount /var/lib/bookcat"

report user_data
