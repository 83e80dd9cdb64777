/*
 * find_target: a process that plants text where a responder would look for
 * it, for the `memlens find` tests: ASCII and UTF-16LE markers on the heap,
 * in anonymous mappings and on the stack, a hex marker, and a marker that
 * straddles the boundary of two address-adjacent mappings (different
 * permissions, so the kernel keeps them apart).  Prints "NAME ADDRESS" for
 * each, then "ready PID", and waits.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void wide(char *dst, const char *s)
{
	for (size_t i = 0; s[i]; i++) {
		dst[2 * i] = s[i];
		dst[2 * i + 1] = 0;
	}
}

int main(void)
{
	char stack_marker[64];
	long ps = sysconf(_SC_PAGESIZE);
	strcpy(stack_marker, "MLFIND-STACK-7f3a");
	printf("stack %p\n", (void *)stack_marker);

	for (int i = 0; i < 8; i++) {
		char *h = malloc(100 + (size_t)i * 40);
		snprintf(h, 100, "MLFIND-HEAP-%d-deadbeef", i);
		printf("heap%d %p\n", i, (void *)h);
	}

	char *a = mmap(NULL, (size_t)ps * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return 1;
	wide(a + 100, "MLFIND-WIDE-MARKER");
	printf("wide %p\n", (void *)(a + 100));
	static const unsigned char hex[] = { 0xde, 0xad, 0x13, 0x37, 0xca, 0xfe, 0xba, 0xbe };
	memcpy(a + ps + 7, hex, sizeof hex);
	printf("hex %p\n", (void *)(a + ps + 7));

	/* Two adjacent mappings: rw then r--, a marker across the seam. */
	char *b = mmap(NULL, (size_t)ps * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		return 1;
	const char *seam = "MLFIND-SEAM-ACROSS-TWO-MAPPINGS";
	memcpy(b + ps - 10, seam, strlen(seam));
	if (mprotect(b + ps, (size_t)ps, PROT_READ))
		return 1;
	printf("seam %p\n", (void *)(b + ps - 10));

	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
