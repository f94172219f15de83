#!/usr/bin/env bash
# Runs a scaled-out replica's first boot (terraform/modules/scale_out/user_data.sh.tftpl, rendered as Terraform
# would) under bash with recording fakes for apt-get, snap, systemctl, docker, timeout (the database's and the
# cache's port checks) and the AWS CLI (which answers with the SSM parameters). Checks the settings file it writes
# (root-only, every parameter, production settings) and the container it starts, by digest; that it waits for
# settings not readable yet and for the database and the cache; and that a parameter still missing after the wait
# stops the boot before any container runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/tests/fakes.sh
make_work
registry=123456789012.dkr.ecr.eu-west-1.amazonaws.com
image=$registry/bookcat@sha256:0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b0a1b
database=bookcat-scale.abc123.eu-west-1.rds.amazonaws.com
cache=master.bookcat-scale.abc123.euw1.cache.amazonaws.com

render_user_data terraform/modules/scale_out/user_data.sh.tftpl "$work/user_data.sh" \
    region=eu-west-1 parameter_path=/bookcat/scale-out image="$image" registry="$registry" api_port=8000 pool_size=12 \
    settings_dir="$work/etc" database_address="$database" cache_address="$cache"

for tool in apt-get systemctl snap docker getent sleep; do
    # shellcheck disable=SC2016  # expanded when the fake runs
    printf '#!/usr/bin/env bash\necho "$(basename "$0") $*" >>"$FAKE_LOG"\n' >"$work/bin/$tool"
done
cat >"$work/bin/tee" <<'FAKE'
#!/usr/bin/env bash
echo "tee $* <<< $(paste -sd ' ')" >>"$FAKE_LOG"
FAKE
# The AWS CLI answers get-parameters-by-path as --output text does: name, tab, value; FAKE_WITHOUT drops one, and
# FAKE_SETTINGS_AFTER=N refuses the first N-1 calls (the role's policy not applied yet).
cat >"$work/bin/aws" <<'FAKE'
#!/usr/bin/env bash
echo "aws $*" >>"$FAKE_LOG"
count=$(( $(cat "$FAKE_LOG.aws" 2>/dev/null || echo 0) + 1 ))
echo "$count" >"$FAKE_LOG.aws"
if [ "$count" -lt "${FAKE_SETTINGS_AFTER:-1}" ]; then
    echo "An error occurred (AccessDeniedException) when calling the GetParametersByPath operation" >&2
    exit 254
fi
printf '%s\t%s\n' \
    /bookcat/scale-out/DATABASE_URL 'postgres://bookcat:s3cret@db.internal:5432/bookcat?sslmode=require' \
    /bookcat/scale-out/REDIS_URL 'redis://cache.internal:6379' \
    /bookcat/scale-out/JWT_SECRET_KEY 'k3y=with=equals' | grep -v "/${FAKE_WITHOUT:-none}	"
FAKE
# The port checks: `timeout 5 bash -c "exec 3<>/dev/tcp/HOST/PORT"`; the database answers at the
# FAKE_DATABASE_AFTER-th attempt.
cat >"$work/bin/timeout" <<'FAKE'
#!/usr/bin/env bash
echo "timeout $*" >>"$FAKE_LOG"
[[ "$*" == *:5432* || "$*" == */5432* ]] || exit 0
count=$(( $(cat "$FAKE_LOG.database" 2>/dev/null || echo 0) + 1 ))
echo "$count" >"$FAKE_LOG.database"
[ "$count" -ge "${FAKE_DATABASE_AFTER:-1}" ]
FAKE
chmod +x "$work"/bin/*

boot() {
    rm -f "$work/calls.log.aws" "$work/calls.log.database"
    rm -rf "${work:?}/etc"
    record env PATH="$work/bin:/usr/bin:/bin" FAKE_LOG="$work/calls.log" "$@" bash "$work/user_data.sh"
}
settings() { grep -qxF -- "$1" "$work/etc/settings.env"; }

boot
check "a replica's first boot finishes" [ "$status" -eq 0 ]
check "it installs Docker and the ECR credential helper" called "install -y --no-install-recommends ca-certificates docker.io amazon-ecr-credential-helper"
check "it installs the AWS CLI from the snap, as Ubuntu 24.04 has no package" called "snap install aws-cli --classic"
check "once snapd has seeded" called_before "snap wait system seed.loaded" "snap install aws-cli --classic"
check "docker uses the credential helper for the registry" called "tee /root/.docker/config.json <<< {\"credHelpers\": {\"$registry\": \"ecr-login\"}}"
check "it reads the settings' path, decrypted" called "aws ssm get-parameters-by-path --region eu-west-1 --path /bookcat/scale-out --with-decryption"
check "the settings folder is root's only" [ "$(stat -c %a "$work/etc")" = 700 ]
check "the settings file is root's only" [ "$(stat -c %a "$work/etc/settings.env")" = 600 ]
check "DATABASE_URL comes from SSM" settings 'DATABASE_URL=postgres://bookcat:s3cret@db.internal:5432/bookcat?sslmode=require'
check "REDIS_URL comes from SSM" settings 'REDIS_URL=redis://cache.internal:6379'
check "a value with = signs stays whole" settings 'JWT_SECRET_KEY=k3y=with=equals'
check "it runs in production mode" settings 'APP_ENV=production'
check "it trusts the load balancer's X-Forwarded-For" settings 'TRUST_FORWARDED_FOR=true'
check "the pool size is the module's" settings 'DATABASE_POOL_SIZE=12'
check "it waits for the database to accept connections" called "timeout 5 bash -c exec 3<>/dev/tcp/$database/5432"
check "and for the cache" called "timeout 5 bash -c exec 3<>/dev/tcp/$cache/6379"
check "before it starts the container" called_before "/dev/tcp/$database/5432" "docker run"
check "it pulls the image by digest" called "docker pull $image"
check "it runs the image with the settings, restarted by Docker, read-only, without capabilities" \
    called "docker run -d --name bookcat --restart always --env-file $work/etc/settings.env -p 8000:8000 --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges $image"
check "no secret reaches the boot log" not_in_output "s3cret"

boot FAKE_SETTINGS_AFTER=3 FAKE_DATABASE_AFTER=2
check "settings not readable yet are asked for again" [ "$status" -eq 0 ]
check "saying it waits" grep -q "waiting for the settings under /bookcat/scale-out: DATABASE_URL REDIS_URL JWT_SECRET_KEY (attempt 2)" "$work/out.log"
check "then the settings file is whole" settings 'JWT_SECRET_KEY=k3y=with=equals'
check "a database not answering yet is waited for" grep -q "waiting for $database:5432 (attempt 1)" "$work/out.log"
check "then the container starts" called "docker run -d --name bookcat"

boot FAKE_WITHOUT=JWT_SECRET_KEY
check "a parameter missing after the wait stops the boot" [ "$status" -ne 0 ]
check "having asked again" [ "$(grep -c 'aws ssm get-parameters-by-path' "$work/calls.log")" -eq 60 ]
check "and says which" grep -q "SSM has no JWT_SECRET_KEY under /bookcat/scale-out" "$work/out.log"
check "and no container starts without it" not_called "docker run"

report "scale-out user_data"
