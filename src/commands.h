/*
 * commands: the subcommands.  Each lives in its own cmd_NAME.c, exporting
 * cmd_NAME(), its help text cmd_NAME_help[] and its own options
 * cmd_NAME_opts[]; main.c lists them in the command table (struct
 * ml_command, cli.h), whose flags say what each takes.
 */
#ifndef ML_COMMANDS_H
#define ML_COMMANDS_H

#include "cli.h"

#define ML_DECLARE_CMD(n)                    \
	int cmd_##n(int argc, char **argv);   \
	extern const char cmd_##n##_help[];   \
	extern const struct option cmd_##n##_opts[]

ML_DECLARE_CMD(regions);
ML_DECLARE_CMD(image);
ML_DECLARE_CMD(sound);
ML_DECLARE_CMD(pagemap);
ML_DECLARE_CMD(heap);
ML_DECLARE_CMD(hilbert);
ML_DECLARE_CMD(find);
ML_DECLARE_CMD(triage);
ML_DECLARE_CMD(snapshot);
ML_DECLARE_CMD(diff);
ML_DECLARE_CMD(watch);

#endif
