/*
 * cmd_image: placeholder until `memlens image` lands (see its issue).
 */
#include "config.h"
#include "commands.h"
#include "util.h"

const char cmd_image_help[] = "Usage: memlens image ... (being written)\n";

int cmd_image(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ml_err("this command is still being written");
	return ML_EXIT_FAIL;
}
