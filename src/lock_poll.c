/*
 * lock_poll.c — the one way a driver waits for a migration lock that its
 * engine offers only as "try once" (pg_try_advisory_lock, GET_LOCK(name,
 * 0)): polled with backoff, 5 ms doubling to 200 ms, with jitter so that
 * a fleet started at one instant does not poll in lockstep, until the
 * timeout. A blocking wait inside the server is never used: a waiter
 * queued there can hold up the very statement the holder is running.
 */
#include "ladder/sys/driver.h"

#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#define POLL_FIRST_MS 5.0
#define POLL_MAX_MS 200.0

static double elapsed_ms(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1000 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static void sleep_ms(double ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* xorshift: jitter only. */
static double jitter(unsigned int *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return 0.8 + 0.4 * (double)(*state % 1000) / 1000.0;
}

int ladder_lock_poll(ladder_lock_try_fn try_once, void *ctx, int timeout_ms, const char *display)
{
	unsigned int seed = (unsigned int)getpid() ^ (unsigned int)(uintptr_t)ctx;
	struct timespec start;
	double delay_ms = POLL_FIRST_MS;
	int got = 0, error;

	clock_gettime(CLOCK_MONOTONIC, &start);
	seed ^= (unsigned int)start.tv_nsec;
	if (seed == 0)
		seed = 1;
	for (;;) {
		double waited_ms, pause_ms;
		if ((error = try_once(ctx, &got)) < 0 || got)
			return error;
		waited_ms = elapsed_ms(&start);
		if (waited_ms >= timeout_ms)
			return ladder_error_set(LADDER_ELOCKED, "another migrator holds the migration lock on %s (waited %.1f s)",
			                        display, waited_ms / 1000);
		pause_ms = delay_ms * jitter(&seed);
		sleep_ms(pause_ms < timeout_ms - waited_ms ? pause_ms : timeout_ms - waited_ms);
		delay_ms = delay_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : delay_ms * 2;
	}
}
