# Helpers for audit.bats: `load lib/audit` after lib/common.
#
# audit_json ARGS... runs `corral audit --format json ARGS...` under `run --separate-stderr`, so
# $status, $output (the report) and $stderr are set; the check helpers below then read $output.

SCHEMA=$INTEGRATION_DIR/../../docs/audit.schema.json

# audit_json ARGS...: the JSON report of an audit (status in $status, report in $output).
audit_json() {
	run --separate-stderr corral audit --format json "$@"
}

# report_get EXPR: a python expression on the last report (j), as json_get prints it.
report_get() { json_get "$1" "$output"; }

# check_field ID FIELD: one field of check ID in the last report; fails when ID is absent.
check_field() {
	"$PYTHON" -S -c '
import json, sys
j = json.loads(sys.argv[1])
m = [c for c in j["checks"] if c["id"] == sys.argv[2]]
if len(m) != 1:
    sys.exit("%d checks %s in the report" % (len(m), sys.argv[2]))
print(m[0][sys.argv[3]])' "$output" "$1" "$2"
}

# assert_check ID STATUS [LEVEL]: check ID is in the report exactly once with that status (and
# level).
assert_check() {
	local got
	got=$(check_field "$1" status) || fail "$got" "$(_run_context)"
	[ "$got" = "$2" ] || fail "check $1: status $got, want $2" "$(_check_context "$1")"
	[ -z "${3:-}" ] && return 0
	got=$(check_field "$1" level)
	[ "$got" = "$3" ] || fail "check $1: level $got, want $3" "$(_check_context "$1")"
}

# assert_check_field ID FIELD SUBSTR: the field contains SUBSTR.
assert_check_field() {
	local got
	got=$(check_field "$1" "$2") || fail "$got" "$(_run_context)"
	[[ "$got" == *"$3"* ]] || fail "check $1: $2 '$got' lacks '$3'" "$(_check_context "$1")"
}

refute_check() {
	local n
	n=$(report_get "len([c for c in j['checks'] if c['id'] == '$1'])")
	[ "$n" = 0 ] || fail "check $1 is in the report" "$(_check_context "$1")"
}

_check_context() {
	printf 'status=%s\n' "$status"
	"$PYTHON" -S -c '
import json, sys
j = json.loads(sys.argv[1])
for c in j["checks"]:
    if c["id"] == sys.argv[2]:
        print(json.dumps(c, indent=1))' "$output" "$1" 2>/dev/null || printf '%s\n' "$output"
	[ -z "${stderr:-}" ] || printf 'stderr:\n%s\n' "$stderr"
}

# assert_no_audit: exit 2, nothing on stdout, one line on stderr (the failure contract of
# docs/audit.md), containing each SUBSTR given.
assert_no_audit() {
	assert_status 2
	[ -z "$output" ] || fail "expected nothing on stdout" "$(_run_context)"
	[ "${#stderr_lines[@]}" -eq 1 ] ||
		fail "expected exactly one line on stderr, got ${#stderr_lines[@]}" "$(_run_context)"
	local want line=${stderr_lines[0],,}
	for want in "$@"; do
		[[ "$line" == *"${want,,}"* ]] || fail "error line lacks '$want'" "$(_run_context)"
	done
}

# start_ctr [EDIT]: applies EDIT to the config, runs the container detached with `probe trap`
# as its process and waits until that process runs; sets PID to its init.
start_ctr() {
	update_config "args('probe', 'trap'); ${1:-}"
	run --separate-stderr corral_bg run -d "$CID"
	assert_status 0
	wait_for_line "$(ctr_stdout "$CID")" ready
	PID=$(container_pid "$CID")
}

# exec_bg ARGS...: `corral exec -d --pid-file F ARGS...`, its stdio on files (a detached process
# keeps them open: a pipe would keep `run` waiting); sets EPID to the exec'd process's host pid.
exec_bg() {
	local pf=$BATS_TEST_TMPDIR/exec-$RANDOM.pid
	corral exec -d --pid-file "$pf" "$@" </dev/null >>"$BATS_TEST_TMPDIR/exec.stdout" \
		2>>"$BATS_TEST_TMPDIR/exec.stderr" || fail "exec -d $* failed:" "$(cat "$BATS_TEST_TMPDIR/exec.stderr")"
	EPID=$(<"$pf")
	[[ "$EPID" =~ ^[1-9][0-9]*$ ]] || fail "pid file $pf holds '$EPID'"
	track_pid "$EPID"
}

# in_ctr_mnt CMD...: CMD from the host, inside the container's mount namespace, whose root is the
# container's (so CMD is the image's busybox), and its pid namespace (so that /proc/self, which
# busybox mount reads, names it).
in_ctr_mnt() { nsenter -t "$PID" -m -p -- "$@"; }

# validate_report [DOC]: the report ($output by default) against docs/audit.schema.json, with a
# small validator of the keywords the schema uses (an unknown keyword fails, so the validator
# cannot silently ignore a constraint added later), plus the arithmetic the schema cannot state:
# the summary counts the checks, failedBlocking counts the failed checks at or above failOn.
validate_report() {
	"$PYTHON" -S - "$SCHEMA" "${1:-$output}" <<'EOF'
import json, re, sys
schema = json.load(open(sys.argv[1]))
doc = json.loads(sys.argv[2])
KNOWN = {"$schema", "title", "description", "type", "required", "additionalProperties",
         "properties", "const", "enum", "pattern", "minimum", "minLength", "$ref", "$defs",
         "if", "then", "else", "items"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}

def is_type(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])

def resolve(ref):
    assert ref.startswith("#/"), ref
    node = schema
    for part in ref[2:].split("/"):
        node = node[part]
    return node

def errors(s, v, path):
    unknown = set(s) - KNOWN
    if unknown:
        yield "%s: schema keyword(s) this validator does not know: %s" % (path, sorted(unknown))
    if "$ref" in s:
        yield from errors(resolve(s["$ref"]), v, path)
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(is_type(v, t) for t in ts):
            yield "%s: %r is not of type %s" % (path, v, ts)
            return
    if "const" in s and not (v == s["const"] and type(v) == type(s["const"])):
        yield "%s: %r is not %r" % (path, v, s["const"])
    if "enum" in s and v not in s["enum"]:
        yield "%s: %r not in %r" % (path, v, s["enum"])
    if isinstance(v, str):
        if "pattern" in s and not re.search(s["pattern"], v):
            yield "%s: %r does not match %s" % (path, v, s["pattern"])
        if "minLength" in s and len(v) < s["minLength"]:
            yield "%s: %r shorter than %d" % (path, v, s["minLength"])
    if is_type(v, "number") and "minimum" in s and v < s["minimum"]:
        yield "%s: %r below %r" % (path, v, s["minimum"])
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                yield "%s: missing %s" % (path, k)
        props = s.get("properties", {})
        for k, sub in props.items():
            if k in v:
                yield from errors(sub, v[k], path + "." + k)
        if s.get("additionalProperties") is False:
            for k in v:
                if k not in props:
                    yield "%s: unexpected property %s" % (path, k)
    if isinstance(v, list) and "items" in s:
        for i, x in enumerate(v):
            yield from errors(s["items"], x, "%s[%d]" % (path, i))
    if "if" in s:
        branch = "then" if not list(errors(s["if"], v, path)) else "else"
        if branch in s:
            yield from errors(s[branch], v, path)

problems = list(errors(schema, doc, "$"))
checks = doc["checks"]
s = doc["summary"]
rank = {"info": 0, "warning": 1, "error": 2}
failed = [c for c in checks if c["status"] == "fail"]
want = {
    "total": len(checks),
    "passed": sum(c["status"] == "pass" for c in checks),
    "failed": len(failed),
    "skipped": sum(c["status"] == "skip" for c in checks),
    "failedBlocking": sum(rank[c["level"]] >= rank[doc["failOn"]] for c in failed),
    "failedByLevel": {l: sum(c["level"] == l for c in failed) for l in rank},
}
for k, w in want.items():
    if s[k] != w:
        problems.append("summary.%s is %r, the checks give %r" % (k, s[k], w))
ids = [c["id"] for c in checks]
if len(ids) != len(set(ids)):
    problems.append("duplicate check ids: %r" % sorted({i for i in ids if ids.count(i) > 1}))
for c in checks:
    if c["id"].split(".")[0] not in (c["category"], "hardening"):
        problems.append("check %s in category %s" % (c["id"], c["category"]))
    if c["id"].startswith("hardening.") and c["kind"] != "hardening":
        problems.append("check %s of kind %s" % (c["id"], c["kind"]))
if problems:
    sys.exit("\n".join(problems))
EOF
}
