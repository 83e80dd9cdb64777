/*
 * cmd_hilbert: placeholder until `memlens hilbert` lands (see its issue).
 */
#include "config.h"
#include "commands.h"
#include "util.h"

const char cmd_hilbert_help[] = "Usage: memlens hilbert ... (being written)\n";

int cmd_hilbert(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ml_err("this command is still being written");
	return ML_EXIT_FAIL;
}
