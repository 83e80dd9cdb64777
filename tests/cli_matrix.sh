#!/bin/bash
# Every command x every option: what a command takes is accepted, all else
# refused in one line with exit 2, and --help lists exactly what it takes
# (the table is in cli_matrix.py, written from the man pages).
. "$TESTS_SRCDIR/lib.sh"
start_specimen
/usr/bin/python3 "$TESTS_SRCDIR/cli_matrix.py" "$MEMLENS" "$T" "$SPEC_PID" "0x$(spec_addr pattern 2)"
