/*
 * SNMP response handling: the snmp probe (plugins/snmp/: snmp.c, walk.c,
 * ifmib.c) as the daemon runs it, through its tramon_probe ops, with an
 * agent whose answers are the input.
 *
 * Only the wire is replaced: snmp_sess_async_send() is wrapped
 * (-Wl,--wrap, see run.sh) to keep each request instead of sending it,
 * snmp_sess_close() to end a closed session's requests as net-snmp does.
 * The input answers the requests in the order they were made, one
 * record each:
 *
 *	op (1 byte), then for an answer: length (2 bytes, big-endian) and
 *	that many bytes of a BER-encoded PDU (tag 0xA2 for a Response),
 *	decoded by net-snmp's own snmp_pdu_parse() as a received message
 *	would be; one that does not decode is a lost packet.
 *	op % 8 == 1: the request timed out; == 2: a security error, then
 *	the timeout; anything else: an answer.
 *
 * The first byte of the input chooses the target: SNMP version (1 or
 * 2c), max_repetitions and the interface selection.  Up to three rounds
 * run on the same target (counters, uptime and port states are compared
 * with the previous round), each until it reports or the input ends.
 *
 * Checked: every round reports exactly once; its port names and labels
 * and every log line and event are one line of printable UTF-8 (agent
 * strings are cleaned); counter increases are NAN or finite and >= 0;
 * states are 0, 1 or NAN.  ASan and LSan check the rest.
 *
 * With FUZZ_SNMP_RECORD=FILE.snmprec and FUZZ_SNMP_SEED=OUT set, the
 * harness plays the agent from an snmpsim recording instead and writes
 * the answers it gave as a seed (tests/fuzz/corpus/snmp/cisco-*).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <event2/event.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "tramon/plugin.h"
#include "tramon/utf8.h"
#include "ifmib.h"
#include "fuzz.h"

extern const struct tm_probe_ops tramon_probe;

#define MAX_PENDING	8
#define MAX_ROUNDS	3

struct pending {
	void *sess;
	snmp_callback cb;
	void *magic;
	int reqid;
	netsnmp_pdu *req;
};

static struct pending pending[MAX_PENDING];
static size_t npending;
static int next_reqid = 1;
static struct event_base *base;
static int rounds_done;
static size_t last_ports;		/* of the last round reported */
static int verbose;			/* FUZZ_SNMP_VERBOSE: say it all */

/* --- the wire ---------------------------------------------------------- */

int __wrap_snmp_sess_async_send(void *, netsnmp_pdu *, snmp_callback,
    void *);

int
__wrap_snmp_sess_async_send(void *sess, netsnmp_pdu *pdu, snmp_callback cb,
    void *magic)
{
	struct pending *p;

	FUZZ_CHECK(npending < MAX_PENDING, "%zu requests in flight",
	    npending);
	p = &pending[npending++];
	p->sess = sess;
	p->cb = cb;
	p->magic = magic;
	p->reqid = next_reqid++;
	p->req = pdu;		/* net-snmp would own it now */
	return p->reqid;
}

/* A closed session's requests end, as net-snmp ends them: timed out. */
int __real_snmp_sess_close(void *);
int __wrap_snmp_sess_close(void *);

int
__wrap_snmp_sess_close(void *sess)
{
	size_t k = 0;

	for (size_t i = 0; i < npending; i++) {
		struct pending *p = &pending[i];

		if (p->sess != sess) {
			pending[k++] = *p;
			continue;
		}
		p->cb(NETSNMP_CALLBACK_OP_TIMED_OUT, snmp_sess_session(sess),
		    p->reqid, p->req, p->magic);
		snmp_free_pdu(p->req);
	}
	npending = k;
	return __real_snmp_sess_close(sess);
}

static struct pending
pop(void)
{
	struct pending p = pending[0];

	memmove(pending, pending + 1, --npending * sizeof(*pending));
	return p;
}

static void
drop_pending(void)
{
	while (npending > 0) {
		struct pending p = pop();

		snmp_free_pdu(p.req);
	}
}

/* --- the host ---------------------------------------------------------- */

/* One line of printable, valid UTF-8. */
static void
check_text(const char *what, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;
	size_t n;

	FUZZ_CHECK(s != NULL, "%s: NULL", what);
	for (size_t i = 0; p[i] != '\0'; i += n) {
		n = utf8_decode(p + i, &cp);
		FUZZ_CHECK(n > 0, "%s: bad UTF-8 at %zu: %s", what, i, s);
		FUZZ_CHECK(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 &&
		    cp <= 0x9f), "%s: control character U+%04X: %s", what,
		    cp, s);
	}
}

static void __attribute__((format(printf, 2, 3)))
h_log(int prio, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "log: %s\n", buf);
	/* net-snmp's own messages are passed on as they come */
	if (strncmp(buf, "snmp: net-snmp: ", 16) != 0)
		check_text("log", buf);
}

static void
h_round_done(struct tm_round *tm, const struct tm_result *res)
{
	FUZZ_CHECK(tm == (struct tm_round *)&rounds_done, "a stranger round");
	rounds_done++;
	if (verbose)
		fprintf(stderr, "round: sent %u received %u ports %zu %s\n",
		    res->sent, res->received, res->ninstances,
		    res->error ? res->error : "");
	FUZZ_CHECK(res->values != NULL, "no values");
	FUZZ_CHECK(isnan(res->values[0]) || res->values[0] >= 0, "uptime %g",
	    res->values[0]);
	if (res->received == 0) {
		check_text("error", res->error);
		FUZZ_CHECK(res->ninstances == 0, "%zu instances of a failed "
		    "round", res->ninstances);
		return;
	}
	FUZZ_CHECK(res->rtt != NULL, "no round-trip times");
	last_ports = res->ninstances;
	for (size_t i = 0; i < res->ninstances; i++) {
		const struct tm_instance *in = &res->instances[i];

		check_text("port name", in->name);
		FUZZ_CHECK(in->name[0] != '\0', "an empty port name");
		for (size_t k = 0; k < i; k++)
			FUZZ_CHECK(strcmp(res->instances[k].name, in->name) !=
			    0, "port %s twice", in->name);
		if (in->label != NULL)
			check_text("port label", in->label);
		for (int v = 0; v < IFM_NVALUES; v++) {
			double x = in->values[v];

			if (v == IFV_OPER_UP || v == IFV_ADMIN_UP)
				FUZZ_CHECK(isnan(x) || x == 0 || x == 1,
				    "%s: state %d is %g", in->name, v, x);
			else
				FUZZ_CHECK(isnan(x) || (isfinite(x) && x >= 0),
				    "%s: value %d is %g", in->name, v, x);
		}
	}
}

static void __attribute__((format(printf, 4, 5)))
h_round_event(struct tm_round *tm, const char *kind, const char *inst,
    const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	check_text("event kind", kind);
	if (inst != NULL)
		check_text("event port", inst);
	check_text("event", buf);
}

/* The target's configuration: a few settings the first byte picks. */
struct tm_cfg {
	const char *version;
	long max_rep;
	const char *const *interfaces;
	size_t ninterfaces;
};

static int
c_string(struct tm_cfg *c, const char *path, const char **out)
{
	if (strcmp(path, "snmp.version") == 0) {
		*out = c->version;
		return 1;
	}
	return 0;
}

static int
c_int(struct tm_cfg *c, const char *path, long *out, long min, long max)
{
	if (strcmp(path, "snmp.max_repetitions") == 0) {
		*out = c->max_rep;
		return 1;
	}
	if (strcmp(path, "snmp.retries") == 0) {
		*out = 0;
		return 1;
	}
	return 0;
}

static int
c_strings(struct tm_cfg *c, const char *path, const char *const **out,
    size_t *n)
{
	if (strcmp(path, "snmp.interfaces") != 0 || c->interfaces == NULL)
		return 0;
	*out = c->interfaces;
	*n = c->ninterfaces;
	return 1;
}

static void __attribute__((format(printf, 3, 4)))
c_error(struct tm_cfg *c, const char *path, const char *fmt, ...)
{
	FUZZ_CHECK(0, "configuration refused at %s", path ? path : "?");
}

static int
c_check_keys(struct tm_cfg *c, const char *path, const char *const *keys)
{
	return 0;
}

static struct tm_host host = {
	.abi = TM_PLUGIN_ABI,
	.log = h_log,
	.round_done = h_round_done,
	.round_event = h_round_event,
	.cfg_string = c_string,
	.cfg_int = c_int,
	.cfg_strings = c_strings,
	.cfg_error = c_error,
	.cfg_check_keys = c_check_keys,
};

static void *
target(uint8_t b)
{
	static const char *const names[] = { "Gi1/0/1", "Vlan1", "up",
	    "Fa0" };
	struct tm_target_conf tc = { "sw", "Switch", "127.0.0.1", 161,
	    300, 1, 1 };
	struct tm_cfg c = { (b & 1) ? "2c" : "1", 1 + ((b >> 1) & 7) * 3,
	    NULL, 0 };
	void *t;

	switch ((b >> 4) & 3) {
	case 1:
		c.interfaces = names + 2;	/* "up" */
		c.ninterfaces = 1;
		break;
	case 2:
		c.interfaces = names;
		c.ninterfaces = 4;
		break;
	}
	t = tramon_probe.configure(&host, &c, &tc);
	FUZZ_CHECK(t != NULL, "no target");
	return t;
}

/* --- rounds ------------------------------------------------------------ */

/* Run what is due now (deferred ends, the report). */
static void
settle(void)
{
	for (int i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* The next record, or -1 at the end of the input. */
static int
answer(const uint8_t **d, size_t *n)
{
	struct pending p;
	netsnmp_pdu *pdu;
	netsnmp_session *ss;
	uint8_t op;
	size_t len;

	if (*n < 1)
		return -1;
	op = **d;
	(*d)++;
	(*n)--;
	p = pop();
	ss = snmp_sess_session(p.sess);
	switch (op % 8) {
	case 1:
		p.cb(NETSNMP_CALLBACK_OP_TIMED_OUT, ss, p.reqid, p.req,
		    p.magic);
		snmp_free_pdu(p.req);
		return 0;
	case 2:
		ss->s_snmp_errno = SNMPERR_AUTHENTICATION_FAILURE;
		p.cb(NETSNMP_CALLBACK_OP_SEC_ERROR, ss, p.reqid, NULL,
		    p.magic);
		p.cb(NETSNMP_CALLBACK_OP_TIMED_OUT, ss, p.reqid, p.req,
		    p.magic);
		ss->s_snmp_errno = 0;
		snmp_free_pdu(p.req);
		return 0;
	}
	if (*n < 2) {
		snmp_free_pdu(p.req);
		*n = 0;
		return -1;
	}
	len = (size_t)(*d)[0] << 8 | (*d)[1];
	*d += 2;
	*n -= 2;
	if (len > *n)
		len = *n;
	pdu = snmp_pdu_create(0);
	{
		/* snmp_pdu_parse() writes nothing, yet takes no const */
		u_char *copy = malloc(len ? len : 1);
		size_t left = len;
		int rc;

		memcpy(copy, *d, len);
		pdu->version = ss->version;
		rc = snmp_pdu_parse(pdu, copy, &left);
		free(copy);
		*d += len;
		*n -= len;
		if (rc != 0) {
			/* lost: the request waits for the next record */
			snmp_free_pdu(pdu);
			memmove(pending + 1, pending, npending *
			    sizeof(*pending));
			pending[0] = p;
			npending++;
			return 0;
		}
	}
	pdu->reqid = p.reqid;	/* net-snmp matched it */
	/* The message around the PDU: the session's community, as from
	 * the agent, unless the record's op has bit 3 (a forgery the probe
	 * must refuse; walk.c answer_is_genuine()). */
	if (ss->version != SNMP_VERSION_3 && !(op & 8) &&
	    ss->community_len > 0) {
		pdu->community = malloc(ss->community_len);
		memcpy(pdu->community, ss->community, ss->community_len);
		pdu->community_len = ss->community_len;
	}
	if (p.cb(NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE, ss, p.reqid, pdu,
	    p.magic) == 0) {
		/* refused: net-snmp keeps the request for the next record */
		snmp_free_pdu(pdu);
		memmove(pending + 1, pending, npending * sizeof(*pending));
		pending[0] = p;
		npending++;
		return 0;
	}
	snmp_free_pdu(pdu);
	snmp_free_pdu(p.req);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *t;

	if (size < 1)
		return 0;
	t = target(data[0]);
	data++;
	size--;
	rounds_done = 0;
	for (int round = 0; round < MAX_ROUNDS && size > 0; round++) {
		int before = rounds_done;

		tramon_probe.start(t, (struct tm_round *)&rounds_done);
		settle();
		while (rounds_done == before && npending > 0) {
			if (answer(&data, &size) == -1)
				break;
			settle();
		}
		if (rounds_done == before) {
			FUZZ_CHECK(size == 0 || npending > 0, "round stuck: "
			    "no request, no report");
			tramon_probe.cancel(t, (struct tm_round *)&rounds_done);
			drop_pending();
			break;
		}
		/* requests of a walk the round gave up on may be left: the
		 * next records answer them late, as the network would */
		FUZZ_CHECK(rounds_done == before + 1, "%d reports of a round",
		    rounds_done - before);
	}
	tramon_probe.release(t);
	settle();
	drop_pending();
	return 0;
}

/* --- seeds from a recording -------------------------------------------- */

struct rec {
	oid name[MAX_OID_LEN];
	size_t len;
	u_char type;
	u_char *val;
	size_t vlen;
	long long num;
};

static struct rec *recs;
static size_t nrecs;

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return snmp_oid_compare(x->name, x->len, y->name, y->len);
}

static int
hexval(int c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* OID|TYPE|VALUE lines: the system group, and the columns the probe
 * reads of ten ports (VLANs, stack ports, Fa3/0/1-4) to keep seeds small. */
static void
load_record(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *type = strchr(line, '|'), *val;
		struct rec r;
		int t;

		if (type == NULL || (val = strchr(type + 1, '|')) == NULL)
			continue;
		*type++ = '\0';
		*val++ = '\0';
		val[strcspn(val, "\r\n")] = '\0';
		memset(&r, 0, sizeof(r));
		r.len = MAX_OID_LEN;
		if (!read_objid(line, r.name, &r.len))
			continue;
		if (!(r.len == 9 && snmp_oid_compare(r.name, 7, ifm_sys_descr,
		    7) == 0) && !(r.len == 11 && r.name[10] < 11005 &&
		    snmp_oid_compare(r.name, 9, ifm_columns[0].oid, 9) == 0) &&
		    !(r.len == 12 && r.name[11] < 11005 && snmp_oid_compare(
		    r.name, 10, ifm_columns[IFC_NAME].oid, 10) == 0))
			continue;
		t = atoi(type);
		r.type = (u_char)t;
		if (strcmp(type, "4x") == 0) {
			r.type = ASN_OCTET_STR;
			r.vlen = strlen(val) / 2;
			r.val = malloc(r.vlen + 1);
			for (size_t i = 0; i < r.vlen; i++)
				r.val[i] = (u_char)(hexval(val[2 * i]) << 4 |
				    hexval(val[2 * i + 1]));
		} else if (t == ASN_OCTET_STR) {
			r.vlen = strlen(val);
			r.val = (u_char *)strdup(val);
		} else if (t == ASN_OBJECT_ID) {
			oid o[MAX_OID_LEN];
			size_t ol = MAX_OID_LEN;

			if (!read_objid(val, o, &ol))
				continue;
			r.vlen = ol * sizeof(oid);
			r.val = malloc(r.vlen);
			memcpy(r.val, o, r.vlen);
		} else
			r.num = strtoll(val, NULL, 10);
		recs = realloc(recs, (nrecs + 1) * sizeof(*recs));
		recs[nrecs++] = r;
	}
	fclose(f);
	qsort(recs, nrecs, sizeof(*recs), rec_cmp);
}

static void
add_value(netsnmp_pdu *resp, const oid *name, size_t len, const struct rec *r)
{
	struct counter64 c64;
	long l;

	if (r == NULL) {
		snmp_pdu_add_variable(resp, name, len, SNMP_ENDOFMIBVIEW, NULL,
		    0);
		return;
	}
	switch (r->type) {
	case ASN_OCTET_STR:
	case ASN_OBJECT_ID:
		snmp_pdu_add_variable(resp, r->name, r->len, r->type, r->val,
		    r->vlen);
		return;
	case ASN_COUNTER64:
		c64.high = (u_long)((unsigned long long)r->num >> 32);
		c64.low = (u_long)(r->num & 0xffffffff);
		snmp_pdu_add_variable(resp, r->name, r->len, r->type, &c64,
		    sizeof(c64));
		return;
	default:
		l = (long)r->num;
		snmp_pdu_add_variable(resp, r->name, r->len, r->type, &l,
		    sizeof(l));
		return;
	}
}

/* What the agent of the recording answers to `req` (GET, GETNEXT or
 * GETBULK without non-repeaters). */
static netsnmp_pdu *
agent(const netsnmp_pdu *req, long version)
{
	netsnmp_pdu *resp = snmp_pdu_create(SNMP_MSG_RESPONSE);
	const oid *names[16];
	size_t lens[16], nv = 0, reps;

	resp->reqid = req->reqid;
	resp->errstat = SNMP_ERR_NOERROR;	/* not "default" (-1) */
	resp->errindex = 0;
	for (netsnmp_variable_list *v = req->variables; v && nv < 16;
	    v = v->next_variable, nv++) {
		names[nv] = v->name;
		lens[nv] = v->name_length;
	}
	reps = req->command == SNMP_MSG_GETBULK ?
	    (size_t)req->max_repetitions : 1;
	for (size_t rep = 0; rep < reps; rep++)
		for (size_t k = 0; k < nv; k++) {
			const struct rec *r = NULL;

			for (size_t i = 0; i < nrecs && r == NULL; i++) {
				int c = snmp_oid_compare(recs[i].name,
				    recs[i].len, names[k], lens[k]);

				if (req->command == SNMP_MSG_GET ? c == 0 :
				    c > 0)
					r = &recs[i];
			}
			if (version == SNMP_VERSION_1 && r == NULL) {
				/* v1 has no exceptions: an error */
				snmp_free_varbind(resp->variables);
				resp->variables = NULL;
				resp->errstat = SNMP_ERR_NOSUCHNAME;
				resp->errindex = (long)k + 1;
				for (netsnmp_variable_list *v = req->variables;
				    v; v = v->next_variable)
					snmp_add_null_var(resp, v->name,
					    v->name_length);
				return resp;
			}
			if (req->command == SNMP_MSG_GET && r == NULL) {
				snmp_pdu_add_variable(resp, names[k], lens[k],
				    SNMP_NOSUCHOBJECT, NULL, 0);
				continue;
			}
			add_value(resp, names[k], lens[k], r);
			if (r != NULL) {
				names[k] = r->name;
				lens[k] = r->len;
			}
		}
	return resp;
}

static void
record_seed(const char *record, const char *out, uint8_t first)
{
	FILE *f = fopen(out, "w");
	void *t;

	if (f == NULL) {
		perror(out);
		exit(1);
	}
	load_record(record);
	fputc(first, f);
	t = target(first);
	rounds_done = 0;
	for (int round = 0; round < 2; round++) {
		tramon_probe.start(t, (struct tm_round *)&rounds_done);
		settle();
		while (npending > 0) {
			struct pending p = pop();
			netsnmp_pdu *resp = agent(p.req,
			    snmp_sess_session(p.sess)->version);
			u_char buf[65536], *end;
			size_t left = sizeof(buf), len;

			end = snmp_pdu_build(resp, buf, &left);
			FUZZ_CHECK(end != NULL && end - buf <= 0xffff,
			    "cannot encode");
			len = (size_t)(end - buf);
			fputc(0, f);
			fputc((int)(len >> 8), f);
			fputc((int)(len & 0xff), f);
			fwrite(buf, 1, len, f);
			resp->version = snmp_sess_session(p.sess)->version;
			for (netsnmp_variable_list *v = resp->variables;
			    verbose && v; v = v->next_variable) {
				char vb[512];

				snprint_variable(vb, sizeof(vb), v->name,
				    v->name_length, v);
				fprintf(stderr, "agent: %s\n", vb);
			}
			p.cb(NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE,
			    snmp_sess_session(p.sess), p.reqid, resp, p.magic);
			snmp_free_pdu(resp);
			snmp_free_pdu(p.req);
			settle();
		}
	}
	FUZZ_CHECK(rounds_done == 2, "%d rounds", rounds_done);
	fprintf(stderr, "%s: %zu values, %zu ports reported\n", out, nrecs,
	    last_ports);
	FUZZ_CHECK(last_ports > 0, "no port reported");
	tramon_probe.release(t);
	fclose(f);
	exit(0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *rec = getenv("FUZZ_SNMP_RECORD");
	const char *seed = getenv("FUZZ_SNMP_SEED");

	if ((base = event_base_new()) == NULL)
		abort();
	host.base = base;
	verbose = getenv("FUZZ_SNMP_VERBOSE") != NULL;
	FUZZ_CHECK(tramon_probe.init(&host) == 0, "init");
	if (rec != NULL && seed != NULL)
		record_seed(rec, seed, (uint8_t)atoi(getenv(
		    "FUZZ_SNMP_FIRST") ? getenv("FUZZ_SNMP_FIRST") : "1"));
	return 0;
}
