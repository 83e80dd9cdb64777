# tests/sound_lib.sh: sourced by the sound tests after lib.sh.  sox and
# soxi are the oracle, and they must accept memlens's files without a
# word: anything either prints on stderr (a warning about a header,
# clipped samples) is logged, even from inside a pipeline or a command
# substitution, and sox_clean (the last line of each test) fails on it.
# They are in .ci/packages.d/sound.txt: missing, the test fails.
command -v sox >/dev/null 2>&1 && command -v soxi >/dev/null 2>&1 ||
	fail "sox and soxi are not installed (apt-get install sox libsox-fmt-all)"
SOX_LOG=$T/sox.stderr
: >"$SOX_LOG"
_sox_run() {
	local e rc=0
	e=$(mktemp "$T/sox.XXXXXX")
	command "$@" 2>"$e" || rc=$?
	if [ -s "$e" ]; then
		{ echo "$*:"; cat "$e"; } >>"$SOX_LOG"
	fi
	rm -f "$e"
	return $rc
}
sox() { _sox_run sox "$@"; }
soxi() { _sox_run soxi "$@"; }
sox_clean() {
	[ ! -s "$SOX_LOG" ] || fail "sox/soxi printed warnings: $(head -c 2000 "$SOX_LOG")"
}
