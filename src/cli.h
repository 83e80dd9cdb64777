/*
 * cli: the one place where memlens's shared options are parsed, accepted
 * or refused.  Each row of the command table (main.c) says what its
 * command takes — a SOURCE, --freeze, --region, -o, --map, --html,
 * --json — and cli.c holds every command to its row, the git way: an
 * option that cannot apply is refused with exit 2 and one line saying
 * why, and --help lists only what applies.  A command's own options come
 * back from ml_cli_next() for the command to handle.
 *
 *	ml_cli_init(&cli, argc, argv);
 *	while ((c = ml_cli_next(&cli)) > 0)
 *		switch (c) { case OPT_BPP: ...; }
 *	if (c < 0 || ml_cli_done(&cli))
 *		return ML_EXIT_USAGE;
 */
#ifndef ML_CLI_H
#define ML_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "select.h"
#include "source.h"

/* What a command takes: the flags of its row in the command table. */
enum {
	ML_CMD_SOURCE = 1 << 0,		/* one SOURCE; --as, --base, --strict, --quiet */
	ML_CMD_FREEZE = 1 << 1,		/* --freeze, when SOURCE is a live process */
	ML_CMD_REGION = 1 << 2,		/* --region selects what it reads */
	ML_CMD_OUT = 1 << 3,		/* -o OUT (a file, a device, a FIFO, or - for stdout) */
	ML_CMD_OUT_NEEDED = 1 << 4,	/* ... and it cannot run without one */
	ML_CMD_MAP = 1 << 5,		/* --map FILE.json beside the output */
	ML_CMD_HTML = 1 << 6,		/* --html FILE */
	ML_CMD_JSON = 1 << 7,		/* --json on standard output */
	ML_CMD_LIVE = 1 << 8,		/* with SOURCE: it must be a live process (no --as, --base) */
	ML_CMD_OUT_FILE = 1 << 9,	/* -o must be a regular file: no -, no device or FIFO */
	ML_CMD_SOURCE2 = 1 << 10,	/* with ML_CMD_SOURCE: two SOURCEs, A and B (diff) */
};

/* One row of the command table (main.c). */
struct ml_command {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the command name */
	const char *summary;
	const char *help;		/* usage and the command's own options */
	const struct option *opts;	/* the command's own long options */
	unsigned flags;			/* ML_CMD_* */
	const char *out_what;		/* what -o takes, for "missing -o" */
	const char *shorts;		/* the command's own short options (getopt form), or NULL */
};

extern const struct ml_command ml_commands[];	/* main.c; ends with a NULL name */
const struct ml_command *ml_find_command(const char *name);

/* Option codes: the shared ones, then each command's own from ML_OPT_FIRST_CMD. */
enum {
	ML_OPT_AS = 0x1000,
	ML_OPT_BASE,
	ML_OPT_REGION,
	ML_OPT_FREEZE,
	ML_OPT_STRICT,
	ML_OPT_QUIET,
	ML_OPT_HELP,
	ML_OPT_OUT,
	ML_OPT_MAP,
	ML_OPT_HTML,
	ML_OPT_JSON,
	ML_OPT__END,
	ML_OPT_FIRST_CMD = 0x1100,
};

struct ml_cli {
	const struct ml_command *cmd;
	unsigned flags;			/* the row's, less what a mode took away */
	const char *mode;		/* "--system", "--physical": no SOURCE */
	int argc;
	char **argv;
	struct option *longopts;	/* shared + the command's */
	char optstring[32];		/* getopt's: shared short options + the command's */

	/* the shared options as given */
	unsigned given;			/* bit (code - ML_OPT_AS) per shared option */
	struct ml_open_opts open;
	bool base_set;
	struct ml_spec *specs;
	const char **spec_args;		/* each spec as given, for messages */
	size_t nspecs;
	bool strict, json;
	const char *out, *map, *html;	/* NULL, a path, or "-" */
	const char *source;
	bool live;			/* SOURCE names a process */
	const char *source2;		/* ML_CMD_SOURCE2: the second SOURCE */
	bool live2;
};

/* Finds the command's row (by ml_cmd) and gets getopt ready. */
void ml_cli_init(struct ml_cli *c, int argc, char **argv);
/*
 * The next of the command's own options (its code, optarg set), 0 after
 * the last, -1 after a usage error (printed).  Shared options are taken
 * here; -h and --help print the help and exit 0.
 */
int ml_cli_next(struct ml_cli *c);
/*
 * The command runs in a mode that reads no SOURCE (hilbert --system,
 * pagemap --physical): the source options and an operand are refused.
 */
void ml_cli_mode(struct ml_cli *c, const char *mode);
/*
 * After the options: takes the SOURCE operand and refuses every shared
 * option that does not apply, "-" on a terminal, two outputs on stdout and
 * a missing -o.  0, or -1 after a usage error.
 */
int ml_cli_done(struct ml_cli *c);
/*
 * Opens the source and resolves the selection.  0, or the exit status after
 * a diagnostic: 1 (runtime) or 2 (an option the source shows cannot apply).
 */
int ml_cli_open(struct ml_cli *c, struct ml_space **s, struct ml_selection *sel);
/*
 * The same for both SOURCEs of an ML_CMD_SOURCE2 command, each with its
 * own selection.  A --region that selects nothing in either is said, and
 * is an error when nothing at all is selected in both.
 */
int ml_cli_open2(struct ml_cli *c, struct ml_space **a, struct ml_selection *sa, struct ml_space **b,
		 struct ml_selection *sb);
void ml_cli_free(struct ml_cli *c);

/* Prints one line "memlens: CMD: ..." and returns 2. */
int ml_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Refuses an option that does not apply: one line naming it and why; -1. */
int ml_cli_refuse(const char *opt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints memlens's or a command's help: its own text, then what applies of the shared options. */
void ml_print_help(const char *cmd, FILE *f);
/* The command nearest to a mistyped name (edit distance), or NULL. */
const char *ml_nearest_command(const char *name);
/* Edit distance with transpositions (optimal string alignment). */
size_t ml_edit_distance(const char *a, const char *b);

/*
 * The exit status of a finished job, decided before any output is
 * committed: 0, or 1 with --strict when anything was missing (incomplete,
 * or any warning), said in one line.
 */
int ml_cli_finish(const struct ml_cli *c, bool incomplete);

#endif
