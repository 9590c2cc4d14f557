# Shared by the hack/ scripts (sourced, not run): named steps that never fail silently.
#
#   step NAME LOG COMMAND...   runs COMMAND with its output in LOG (and on the terminal too when
#                              STEP_ECHO=true); on failure prints which step failed, the command and the
#                              last lines of LOG, then exits with the command's status
#   fail_loudly TAG            an ERR trap for everything not run through step: names the script, line and
#                              command that failed
#   pgroup_gone PID            true when no process of the process group PID is left (zombies count as gone)
#   wait_pgroup_gone PID SECS  TERM, then KILL after SECS, the process group PID; returns when it is empty

# The tag every message of the calling script starts with.
HACK_TAG=${HACK_TAG:-hack}

step() {
    local name=$1 log=$2
    shift 2
    mkdir -p "$(dirname "$log")"
    local rc=0
    if [ "${STEP_ECHO:-false}" = true ]; then
        set -o pipefail
        "$@" 2>&1 | tee "$log" || rc=$?
    else
        "$@" >"$log" 2>&1 || rc=$?
    fi
    if [ "$rc" -ne 0 ]; then
        {
            printf '[%s] step failed: %s (exit %s)\n' "$HACK_TAG" "$name" "$rc"
            printf '[%s] command: %s\n' "$HACK_TAG" "$(printable_command "$@")"
            printf '[%s] last lines of %s:\n' "$HACK_TAG" "$log"
            tail -n 30 "$log" | sed 's/^/    /'
        } >&2
        exit "$rc"
    fi
}

# The command as one line, with very long arguments (class paths) cut in the middle.
printable_command() {
    local arg out=()
    for arg in "$@"; do
        if [ ${#arg} -gt 160 ]; then out+=("${arg:0:70}...${arg: -70} (${#arg} characters)"); else out+=("$arg"); fi
    done
    printf '%s' "${out[*]}"
}

fail_loudly() {
    HACK_TAG=$1
    set -o errtrace
    trap 'rc=$?; printf "[%s] failed (exit %s) at %s line %s: %s\n" "$HACK_TAG" "$rc" "${BASH_SOURCE[0]##*/}" "$LINENO" "$BASH_COMMAND" >&2' ERR
}

# alive = some member of the group exists and is not a zombie (components are reparented to init,
# which may reap them late)
pgroup_gone() {
    local pgid=$1 pid
    for pid in $(pgrep -g "$pgid" 2>/dev/null); do
        case $(ps -o stat= -p "$pid" 2>/dev/null) in Z* | '') ;; *) return 1 ;; esac
    done
    return 0
}

wait_pgroup_gone() {
    local pgid=$1 grace=$2 i
    pgroup_gone "$pgid" && return 0
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for ((i = 0; i < grace * 5; i++)); do
        pgroup_gone "$pgid" && return 0
        sleep 0.2
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        pgroup_gone "$pgid" && return 0
        sleep 0.2
    done
    printf '[%s] process group %s still has processes after KILL: %s\n' "$HACK_TAG" "$pgid" \
        "$(pgrep -a -g "$pgid" | tr '\n' ';')" >&2
    return 1
}

# The operator's test classpath (its classes, test classes and every dependency, reactor modules included),
# as written by the build that compiled the tests (operator/pom.xml, maven-dependency-plugin). Builds the
# operator and what it needs (-am) when that file is missing or older than the sources.
operator_test_classpath() {
    local root=$1 file=$1/operator/target/test-classpath.txt
    if [ ! -f "$file" ] || [ -n "$(find "$root/operator/src" "$root/operator/pom.xml" "$root/pom.xml" -newer "$file" -print -quit)" ]; then
        step "build the operator (./mvnw -pl operator -am package)" "$root/target/hack-logs/operator-build.log" \
            "$root/mvnw" -B -ntp -f "$root/pom.xml" -pl operator -am package -DskipTests
    fi
    printf '%s' "$root/operator/target/test-classes:$root/operator/target/classes:$(cat "$file")"
}
