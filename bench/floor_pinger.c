/*
 * bench/floor_pinger: the least a paced ICMP pinger can cost here, as the
 * floor under bench/icmp.sh's figures.  No event loop, no matching table,
 * no storage: one raw socket; it sleeps (clock_nanosleep) until the next
 * echo is due but at least 2 ms, as tramond's pacer does, then sends
 * every echo due with sendto() and reads every reply waiting with
 * recvmmsg().  Echoes are spread as tramond spreads them: COUNT per
 * INTERVAL seconds a target, targets' phases evenly apart.
 *
 *	floor_pinger ADDRESS_FILE COUNT INTERVAL SECONDS
 *
 * Prints "sent N received N cpu_user S cpu_sys S" (getrusage of itself).
 * Root (or CAP_NET_RAW) needed.  Built by bench/icmp.sh with cc -O2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef ICMP_FILTER	/* <linux/icmp.h> clashes with <netinet/ip_icmp.h> */
#define ICMP_FILTER	1
#endif

#define TICK_NS		2000000	/* tramond's PACE_NS (plugins/ping/ping.c) */
#define BATCH		64
#define MAX_TARGETS	100000

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint16_t
cksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Read every reply waiting; count ours. */
static unsigned long
drain(int fd, uint16_t id)
{
	static uint8_t buf[BATCH][256];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	unsigned long ours = 0;
	int n;

	do {
		memset(m, 0, sizeof(m));
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++) {
			const uint8_t *p = buf[i];
			size_t hl = (size_t)(p[0] & 0x0f) * 4;

			if (m[i].msg_len >= hl + 8 && p[hl] == ICMP_ECHOREPLY &&
			    (p[hl + 4] << 8 | p[hl + 5]) == id)
				ours++;
		}
	} while (n == BATCH);
	return ours;
}

int
main(int argc, char **argv)
{
	static struct sockaddr_in dst[MAX_TARGETS];
	struct { uint32_t data; } filter = { ~(1U << ICMP_ECHOREPLY) };
	unsigned long sent = 0, received = 0, ntargets = 0, count;
	int64_t spacing, start, end, tick;
	double interval, seconds;
	uint16_t id = (uint16_t)getpid(), seq = 0;
	char line[128];
	struct rusage ru;
	FILE *f;
	int fd, size = 1 << 20;
	uint64_t *next;		/* per target: the next echo's time */

	if (argc != 5) {
		fprintf(stderr, "usage: floor_pinger ADDRESS_FILE COUNT "
		    "INTERVAL SECONDS\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 10);
	interval = strtod(argv[3], NULL);
	seconds = strtod(argv[4], NULL);
	if ((f = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	while (ntargets < MAX_TARGETS && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		dst[ntargets].sin_family = AF_INET;
		if (inet_pton(AF_INET, line, &dst[ntargets].sin_addr) == 1)
			ntargets++;
	}
	fclose(f);
	if (ntargets == 0 || count == 0 || !(interval > 0)) {
		fprintf(stderr, "floor_pinger: nothing to do\n");
		return 1;
	}
	if ((fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP)) ==
	    -1) {
		perror("socket");
		return 1;
	}
	(void)setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	spacing = (int64_t)(interval * 1e9 / (double)count);
	if ((next = calloc(ntargets, sizeof(*next))) == NULL)
		return 1;
	start = now_ns();
	for (unsigned long i = 0; i < ntargets; i++)
		next[i] = (uint64_t)(start + spacing * (int64_t)i /
		    (int64_t)ntargets);
	end = start + (int64_t)(seconds * 1e9);
	for (tick = start; tick < end;) {
		struct timespec ts = { tick / 1000000000, tick % 1000000000 };
		int64_t now;
		static unsigned long at;

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		now = now_ns();
		/* a scan of every target per tick would measure the scan:
		 * targets are due in index order, round-robin */
		for (unsigned long k = 0; k < ntargets; k++) {
			uint8_t pkt[64];
			struct icmphdr *h = (struct icmphdr *)pkt;

			if ((int64_t)next[at] > now)
				break;
			memset(pkt, 0, sizeof(pkt));
			h->type = ICMP_ECHO;
			h->un.echo.id = htons(id);
			h->un.echo.sequence = htons(seq++);
			h->checksum = htons(cksum(pkt, sizeof(pkt)));
			if (sendto(fd, pkt, sizeof(pkt), 0,
			    (struct sockaddr *)&dst[at], sizeof(dst[at])) != -1)
				sent++;
			next[at] += (uint64_t)spacing;
			at = (at + 1) % ntargets;
		}
		received += drain(fd, id);
		/* the next echo due, but not sooner than a tick from now */
		tick = (int64_t)next[at];
		if (tick < now + TICK_NS)
			tick = now + TICK_NS;
	}
	/* the last replies */
	clock_nanosleep(CLOCK_MONOTONIC, 0,
	    &(struct timespec){ 0, 200000000 }, NULL);
	received += drain(fd, id);
	getrusage(RUSAGE_SELF, &ru);
	printf("sent %lu received %lu cpu_user %.3f cpu_sys %.3f\n", sent,
	    received, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	free(next);
	close(fd);
	return 0;
}
