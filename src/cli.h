/*
 * cli: what every command that reads a SOURCE shares — the source options
 * (--as, --base, --freeze), the selection (--region), --strict and --quiet,
 * their getopt entries, their help text, and opening source + selection in
 * one call.  A command adds ML_CLI_LONGOPTS to its option table and passes
 * unknown option codes to ml_cli_option().
 */
#ifndef ML_CLI_H
#define ML_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "select.h"
#include "source.h"

enum {
	ML_OPT_AS = 0x1000,
	ML_OPT_BASE,
	ML_OPT_REGION,
	ML_OPT_FREEZE,
	ML_OPT_STRICT,
	ML_OPT_QUIET,
	ML_OPT_HELP,
	ML_OPT_FIRST_CMD = 0x1100,	/* commands number their own options from here */
};

#define ML_CLI_LONGOPTS                                   \
	{ "as", required_argument, NULL, ML_OPT_AS },         \
	{ "base", required_argument, NULL, ML_OPT_BASE },     \
	{ "region", required_argument, NULL, ML_OPT_REGION }, \
	{ "freeze", no_argument, NULL, ML_OPT_FREEZE },       \
	{ "strict", no_argument, NULL, ML_OPT_STRICT },       \
	{ "quiet", no_argument, NULL, ML_OPT_QUIET },         \
	{ "help", no_argument, NULL, ML_OPT_HELP }

/* getopt's optstring for commands: ':' first so a missing argument is told apart. */
#define ML_CLI_OPTSTRING ":"

/* The help lines for the options above, for each command's --help. */
extern const char ml_cli_help[];

struct ml_cli {
	struct ml_open_opts open;
	bool base_set;
	struct ml_spec *specs;
	size_t nspecs;
	bool strict;
	const char *source;
};

/*
 * Handles a shared option: returns 1 when handled, 0 when not one of ours,
 * -1 after printing a usage error.  ML_OPT_HELP prints the command's help
 * and exits 0.
 */
int ml_cli_option(struct ml_cli *c, int opt, const char *arg);
/* Takes the one SOURCE operand from argv[optind..]; -1 after a usage error. */
int ml_cli_source(struct ml_cli *c, int argc, char **argv);
/* Opens the source and resolves the selection; -1 after a diagnostic. */
int ml_cli_open(struct ml_cli *c, struct ml_space **s, struct ml_selection *sel);
void ml_cli_free(struct ml_cli *c);

/* Reports getopt's '?' or ':' (or an unhandled code) as a usage error. */
void ml_cli_bad_option(int opt, char **argv);
/* Prints "usage error" text + "try memlens CMD --help" and returns 2. */
int ml_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a command's help (from the table in main.c). */
void ml_print_help(const char *cmd, FILE *f);
/*
 * Exit status for a finished job: 0, or 1 with --strict when anything was
 * missing (holes or warnings).
 */
int ml_cli_finish(const struct ml_cli *c, bool incomplete);

#endif
