/*
 * cmd_heap: placeholder until `memlens heap` lands (see its issue).
 */
#include "config.h"
#include "commands.h"
#include "util.h"

const char cmd_heap_help[] = "Usage: memlens heap ... (being written)\n";

int cmd_heap(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ml_err("this command is still being written");
	return ML_EXIT_FAIL;
}
