/*
 * cmd_sound: placeholder until `memlens sound` lands (see its issue).
 */
#include "config.h"
#include "commands.h"
#include "util.h"

const char cmd_sound_help[] = "Usage: memlens sound ... (being written)\n";

int cmd_sound(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ml_err("this command is still being written");
	return ML_EXIT_FAIL;
}
