/*
 * fuzz_core: ELF core files through the path `memlens --as core` takes —
 * ml_space_open on a file (libelf, program headers, the NT_FILE,
 * NT_PRSTATUS, NT_PRPSINFO and NT_AUXV notes, naming) — then the region
 * list and reads checked against the input's own bytes (fuzz_common.c).
 */
#include "config.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_open_opts o = { .as = ml_source_kind_named("core") };
	struct ml_space *s;
	if (ml_space_open(&s, fuzz_file(data, size), &o))
		return 0;
	FUZZ_CHECK((!strcmp(ml_space_kind(s), "core") || !strcmp(ml_space_kind(s), "vmcore")) && s->file_size == size);
	fuzz_check_space(s, data, size);
	ml_space_close(s);
	return 0;
}
