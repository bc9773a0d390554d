# tests/readme.bash — runs the README's marked blocks (tests/readme.py) for
# the tests that keep it honest (cli_readme.sh, cli_pg_readme.sh,
# cli_install.sh); sourced after clitest.bash, not a test itself.
# shellcheck shell=bash disable=SC2034 # RC, OUT, CMD are clitest.bash's, BUILD the scripts'

# The flags a program needs to link against this build's libladder: the
# sanitizers when the build has them (BUILD: the build folder).
readme_cflags() {
	if grep -q '^LADDER_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt"; then echo "-fsanitize=address,undefined"; fi
}

# readme_install PREFIX: install the build into PREFIX with the Makefile's
# own `make install` recipe, without its build step (the tests run on a
# finished build, and other tests run its programs meanwhile).
readme_install() {
	local recipe
	recipe=$(make -s -n -C "$ROOT" install BUILD="$BUILD" PREFIX="$1" | tail -n 1)
	case "$recipe" in
	"cmake --install $BUILD --prefix $1") ;;
	*) fail "the Makefile's install recipe is not what the tests run" "$recipe"; return 1 ;;
	esac
	$recipe >/dev/null
}

# readme_normal: output as compared: durations as "(N ms)" (a fleet's "in N s"), no trailing
# blanks on a line (the README's editors strip them, psql pads).
readme_normal() { sed -E 's/\([0-9]+(\.[0-9]+)? m?s\)/(N ms)/g; s/ in [0-9]+\.[0-9]+ s / in N s /g; s/[[:space:]]+$//'; }

# readme_run NAME [OLD=NEW...]: run the README's blocks marked NAME, in
# order, in one shell in the current folder, with `cc` taking
# readme_cflags; every `sh` block must succeed and every console command
# print what the README shows under it (OLD=NEW replaces text in both).
# README_PRELUDE, when set, is shell code run first in that shell.
readme_run() {
	local name=$1 dir="$T/.readme-$1" n i
	shift
	mkdir -p "$dir"
	if ! n=$(python3 "$ROOT/tests/readme.py" script "$ROOT/README.md" "$name" "$dir" "$@" 2>&1); then
		fail "README.md: the blocks marked $name" "$n"
		return
	fi
	CMD="README.md blocks marked $name (tests/readme.py script)"
	RC=0
	# shellcheck disable=SC2016 # expanded by the inner shell
	README_OUT=$dir README_CFLAGS=$(readme_cflags) bash -c 'cc() { command cc $README_CFLAGS "$@"; }
		eval "${README_PRELUDE:-}"
		. "$README_OUT/run.bash"' >"$dir/log" 2>&1 || RC=$?
	OUT=$(cat "$dir/log") ERR=""
	expect_rc 0
	for ((i = 1; i <= n; i++)); do
		CMD="(README.md, $name) \$ $(cat "$dir/$i.cmd")"
		OUT=""
		[ -f "$dir/$i.out" ] && OUT=$(cat "$dir/$i.out")
		eq "README.md ($name) command $i prints what the README shows" \
			"$(printf '%s\n' "$OUT" | readme_normal)" "$(readme_normal <"$dir/$i.want")"
	done
	CMD=""
}
