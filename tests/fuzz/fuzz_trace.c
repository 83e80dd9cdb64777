/*
 * fuzz_trace: trace records (memlens trace's mltrace format) through the
 * reader trace-report uses — ml_trace_open, the merged pass, the numbers
 * and a small heatmap — then the promises the reader makes: events in time
 * order, every release matched to an allocation of its size, calls and
 * leaks as counted here, the stack trie's parents made before their
 * children.  Symbols are not
 * looked up: a record's module paths would open arbitrary files.
 */
#include "config.h"
#include "fuzz.h"
#include "trace_heat.h"
#include "trace_read.h"
#include "trace_stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_trace *t = ml_trace_open(fuzz_file(data, size));
	if (!t)
		return 0;
	FUZZ_CHECK(ml_trace_nimages(t) > 0);
	struct ml_tev e;
	uint64_t last = 0, calls = 0, live = 0, leaked = 0, n = 0;
	int r;
	while ((r = ml_trace_next(t, &e)) > 0 && n++ < 50000000) {
		if (e.type == ML_TEV_LEAK) {
			/* at an exec (the old image's) or at the end */
			leaked += e.size;
			FUZZ_CHECK(live >= e.size);
			live -= e.size;
			continue;
		}
		if (e.type == ML_TEV_ALLOC) {
			FUZZ_CHECK(e.t >= last);
			calls++;
			live += e.size;
		} else if (e.type == ML_TEV_FREE && !e.unknown) {
			FUZZ_CHECK(e.alloc_t <= e.t);
			FUZZ_CHECK(live >= e.size);
			live -= e.size;
		}
		last = e.t > last ? e.t : last;
		FUZZ_CHECK(e.node < ml_trace_nnodes(t));
	}
	FUZZ_CHECK(r >= 0 || ml_trace_damage(t));
	for (size_t i = 1; i < ml_trace_nnodes(t); i++)
		FUZZ_CHECK(ml_trace_node(t, (uint32_t)i)->parent < i);
	/* A second pass gives the same numbers. */
	struct ml_tstats st;
	ml_tstats_run(t, &st);
	FUZZ_CHECK(st.calls == calls || n >= 50000000);
	FUZZ_CHECK(st.leaked == leaked || n >= 50000000);
	FUZZ_CHECK(live == 0 || n >= 50000000);	/* everything was released or leaked */
	ml_tstats_free(&st);
	struct ml_heat h;
	if (!ml_heat_build(t, 300, 200, "fuzz", &h))
		ml_heat_free(&h);
	ml_trace_close(t);
	return 0;
}
