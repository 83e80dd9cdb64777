/*
 * cmd_pagemap: placeholder until `memlens pagemap` lands (see its issue).
 */
#include "config.h"
#include "commands.h"
#include "util.h"

const char cmd_pagemap_help[] = "Usage: memlens pagemap ... (being written)\n";

int cmd_pagemap(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ml_err("this command is still being written");
	return ML_EXIT_FAIL;
}
