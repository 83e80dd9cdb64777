/*
 * commands: the table of subcommands.  Each lives in its own cmd_NAME.c,
 * exporting cmd_NAME() and its help text cmd_NAME_help[]; main.c lists them.
 */
#ifndef ML_COMMANDS_H
#define ML_COMMANDS_H

struct ml_command {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the command name */
	const char *summary;
	const char *help;
	int source_opts;	/* reads a SOURCE: its help ends with ml_cli_help */
};

extern const struct ml_command ml_commands[];
const struct ml_command *ml_find_command(const char *name);

#define ML_DECLARE_CMD(n)                    \
	int cmd_##n(int argc, char **argv);   \
	extern const char cmd_##n##_help[]

ML_DECLARE_CMD(regions);
ML_DECLARE_CMD(image);
ML_DECLARE_CMD(sound);
ML_DECLARE_CMD(pagemap);
ML_DECLARE_CMD(heap);
ML_DECLARE_CMD(hilbert);
ML_DECLARE_CMD(find);
ML_DECLARE_CMD(triage);

#endif
