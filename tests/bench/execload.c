/*
 * Load generator for the live audit benchmark: runs PROGRAM (no arguments) RATE times a second for
 * SECONDS seconds, on a fixed schedule (posix_spawn, so the parent stays cheap), and prints how
 * many ran and over how long:
 *     execload PROGRAM RATE SECONDS   ->   "execs=N seconds=S"
 * When it falls behind (a loaded machine) it catches up with back-to-back runs, dropping a backlog
 * of more than 0.1 s, so the achieved rate can be lower than asked: the printed figures are what
 * happened.
 * Built by tests/bench/bench-audit.sh with cc; not part of vaktd.
 */

#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

#define NSEC_PER_SEC INT64_C(1000000000)

static int64_t now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = { .tv_sec = t / NSEC_PER_SEC, .tv_nsec = t % NSEC_PER_SEC };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void reap(int options)
{
	while (waitpid(-1, NULL, options) > 0)
		;
}

int main(int argc, char **argv)
{
	char *args[2];
	long rate, seconds;
	int64_t period, start, end, next;
	unsigned long execs = 0;

	if (argc != 4 || (rate = strtol(argv[2], NULL, 10)) <= 0 ||
	    (seconds = strtol(argv[3], NULL, 10)) <= 0) {
		(void)fprintf(stderr, "usage: execload PROGRAM RATE SECONDS\n");
		return 2;
	}
	args[0] = argv[1];
	args[1] = NULL;
	period = NSEC_PER_SEC / rate;
	start = next = now_ns();
	end = start + seconds * NSEC_PER_SEC;

	while (next < end) {
		pid_t pid;
		int r;

		sleep_until(next);
		r = posix_spawn(&pid, argv[1], NULL, NULL, args, environ);
		if (r != 0) {
			(void)fprintf(stderr, "execload: cannot run %s: error %d\n", argv[1], r);
			return 1;
		}
		execs++;
		reap(WNOHANG);
		next += period;
		/* Behind by more than 100 periods (0.1 s at 1,000/s): drop that backlog. */
		if (now_ns() - next > 100 * period)
			next = now_ns();
	}
	reap(0);
	printf("execs=%lu seconds=%.3f\n", execs, (double)(now_ns() - start) / NSEC_PER_SEC);
	return 0;
}
