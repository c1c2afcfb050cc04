/*
 * IF-MIB arithmetic for the snmp probe; see ifmib.h.  Everything here is
 * a pure function of its arguments: the walker feeds it varbinds, the
 * probe asks it for the round's values, and the unit test does both
 * without an agent.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "ifmib.h"

/* A port unseen for this many complete rounds is forgotten. */
#define FORGET_ROUNDS	100

#define IF_ENTRY	1, 3, 6, 1, 2, 1, 2, 2, 1
#define IFX_ENTRY	1, 3, 6, 1, 2, 1, 31, 1, 1, 1

const oid ifm_sys_descr[IFM_SYS_LEN] = { 1, 3, 6, 1, 2, 1, 1, 1, 0 };
const oid ifm_sys_object_id[IFM_SYS_LEN] = { 1, 3, 6, 1, 2, 1, 1, 2, 0 };
const oid ifm_sys_uptime[IFM_SYS_LEN] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
const oid ifm_sys_name[IFM_SYS_LEN] = { 1, 3, 6, 1, 2, 1, 1, 5, 0 };

const struct ifm_column ifm_columns[IFC_COUNT] = {
	[IFC_DESCR] = { "ifDescr", { IF_ENTRY, 2 }, 10, ASN_OCTET_STR },
	[IFC_SPEED] = { "ifSpeed", { IF_ENTRY, 5 }, 10, ASN_GAUGE },
	[IFC_ADMIN] = { "ifAdminStatus", { IF_ENTRY, 7 }, 10, ASN_INTEGER },
	[IFC_OPER] = { "ifOperStatus", { IF_ENTRY, 8 }, 10, ASN_INTEGER },
	[IFC_IN_OCTETS] = { "ifInOctets", { IF_ENTRY, 10 }, 10, ASN_COUNTER },
	[IFC_IN_DISCARDS] = { "ifInDiscards", { IF_ENTRY, 13 }, 10,
	    ASN_COUNTER },
	[IFC_IN_ERRORS] = { "ifInErrors", { IF_ENTRY, 14 }, 10, ASN_COUNTER },
	[IFC_OUT_OCTETS] = { "ifOutOctets", { IF_ENTRY, 16 }, 10,
	    ASN_COUNTER },
	[IFC_OUT_DISCARDS] = { "ifOutDiscards", { IF_ENTRY, 19 }, 10,
	    ASN_COUNTER },
	[IFC_OUT_ERRORS] = { "ifOutErrors", { IF_ENTRY, 20 }, 10,
	    ASN_COUNTER },
	[IFC_NAME] = { "ifName", { IFX_ENTRY, 1 }, 11, ASN_OCTET_STR },
	[IFC_HC_IN_OCTETS] = { "ifHCInOctets", { IFX_ENTRY, 6 }, 11,
	    ASN_COUNTER64 },
	[IFC_HC_OUT_OCTETS] = { "ifHCOutOctets", { IFX_ENTRY, 10 }, 11,
	    ASN_COUNTER64 },
	[IFC_HIGH_SPEED] = { "ifHighSpeed", { IFX_ENTRY, 15 }, 11,
	    ASN_GAUGE },
	[IFC_ALIAS] = { "ifAlias", { IFX_ENTRY, 18 }, 11, ASN_OCTET_STR },
	[IFC_DISC_TIME] = { "ifCounterDiscontinuityTime", { IFX_ENTRY, 19 },
	    11, ASN_TIMETICKS },
};

/* Which ifTable column feeds which counter. */
static const enum ifm_col ctr_col[IFM_NCTR] = {
	[IFM_IN_OCTETS] = IFC_IN_OCTETS,
	[IFM_OUT_OCTETS] = IFC_OUT_OCTETS,
	[IFM_IN_ERRORS] = IFC_IN_ERRORS,
	[IFM_OUT_ERRORS] = IFC_OUT_ERRORS,
	[IFM_IN_DISCARDS] = IFC_IN_DISCARDS,
	[IFM_OUT_DISCARDS] = IFC_OUT_DISCARDS,
};

#define HAVE(row, col)	(((row)->have >> (col)) & 1)

/* --- strings ----------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid;
 * *cp gets the code point. */
static size_t
utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t len;
	unsigned long c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t
ifm_clean(const unsigned char *s, size_t len, char *out, size_t max,
    int first_line)
{
	size_t o = 0, start, end;

	for (size_t i = 0; i < len;) {
		unsigned long cp;
		size_t n = utf8_seq(s + i, len - i, &cp);

		if (n == 0) {		/* not UTF-8: one byte, one '?' */
			if (o + 1 > max)
				break;
			out[o++] = '?';
			i++;
			continue;
		}
		if (first_line && (cp == '\r' || cp == '\n'))
			break;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			if (o + 1 > max)
				break;
			out[o++] = ' ';
			i += n;
			continue;
		}
		if (o + n > max)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	for (start = 0; start < o && out[start] == ' '; start++)
		;
	for (end = o; end > start && out[end - 1] == ' '; end--)
		;
	memmove(out, out + start, end - start);
	out[end - start] = '\0';
	return end - start;
}

/* Cut `s` to at most `max` bytes without splitting a character. */
static void
utf8_cut(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

static int
ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y || x == 0)
			return x - y;
	}
}

/* --- the table of this round's rows ------------------------------------ */

static struct ifm_row *
row_find(struct ifm_table *t, uint32_t index, size_t *at)
{
	size_t lo = 0, hi = t->n;

	/* walks come in ifIndex order: the last row is the usual answer */
	if (t->n > 0 && t->rows[t->n - 1].index < index) {
		*at = t->n;
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return lo < t->n && t->rows[lo].index == index ? &t->rows[lo] : NULL;
}

static struct ifm_row *
row_get(struct ifm_table *t, uint32_t index, size_t max_rows, int *full)
{
	struct ifm_row *r;
	size_t at;

	*full = 0;
	if ((r = row_find(t, index, &at)) != NULL)
		return r;
	if (t->n >= max_rows) {
		*full = 1;
		return NULL;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct ifm_row *rows = realloc(t->rows, cap * sizeof(*rows));

		if (rows == NULL)
			return NULL;
		t->rows = rows;
		t->cap = cap;
	}
	memmove(&t->rows[at + 1], &t->rows[at], (t->n - at) *
	    sizeof(*t->rows));
	t->n++;
	r = &t->rows[at];
	memset(r, 0, sizeof(*r));
	r->index = index;
	return r;
}

static char *
clean_dup(const netsnmp_variable_list *vb, size_t max)
{
	char *s = malloc(max + 1);

	if (s != NULL)
		ifm_clean(vb->val.string, vb->val_len, s, max, 0);
	return s;
}

int
ifm_table_put(struct ifm_table *t, enum ifm_col col, const oid *index,
    size_t index_len, const netsnmp_variable_list *vb, size_t max_rows)
{
	struct ifm_row *r;
	int full;
	uint32_t u;

	if (col >= IFC_COUNT || vb == NULL ||
	    vb->type != ifm_columns[col].type)
		return -1;
	if (index_len != 1 || index[0] < 1 || index[0] > 2147483647)
		return -1;
	switch (vb->type) {
	case ASN_OCTET_STR:
		if (vb->val_len > 0 && vb->val.string == NULL)
			return -1;
		break;
	case ASN_COUNTER64:
		if (vb->val.counter64 == NULL)
			return -1;
		break;
	default:
		if (vb->val.integer == NULL)
			return -1;
		break;
	}
	if (vb->type != ASN_OCTET_STR && vb->type != ASN_COUNTER64)
		u = (uint32_t)*vb->val.integer;
	else
		u = 0;
	if ((col == IFC_ADMIN && (u < 1 || u > 3)) ||
	    (col == IFC_OPER && (u < 1 || u > 7)))
		return -1;
	if ((r = row_get(t, (uint32_t)index[0], max_rows, &full)) == NULL)
		return full ? -2 : -1;
	if (HAVE(r, col))
		return -1;	/* the same cell twice: not believed */
	switch (col) {
	case IFC_DESCR:
		if ((r->descr = clean_dup(vb, IFM_TEXT_MAX)) == NULL)
			return -1;
		break;
	case IFC_NAME:
		if ((r->name = clean_dup(vb, IFM_NAME_MAX)) == NULL)
			return -1;
		break;
	case IFC_ALIAS:
		if ((r->alias = clean_dup(vb, IFM_TEXT_MAX)) == NULL)
			return -1;
		break;
	case IFC_ADMIN:
		r->admin = (long)u;
		break;
	case IFC_OPER:
		r->oper = (long)u;
		break;
	case IFC_SPEED:
		r->speed = u;
		break;
	case IFC_HIGH_SPEED:
		r->high_speed = u;
		break;
	case IFC_DISC_TIME:
		r->disc_time = u;
		break;
	case IFC_HC_IN_OCTETS:
	case IFC_HC_OUT_OCTETS: {
		uint64_t v = ((uint64_t)(uint32_t)vb->val.counter64->high <<
		    32) | (uint32_t)vb->val.counter64->low;

		if (col == IFC_HC_IN_OCTETS)
			r->hc_in = v;
		else
			r->hc_out = v;
		break;
	}
	default:
		for (int k = 0; k < IFM_NCTR; k++)
			if (ctr_col[k] == col)
				r->c32[k] = u;
		break;
	}
	r->have |= 1u << col;
	return 0;
}

void
ifm_table_free(struct ifm_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].descr);
		free(t->rows[i].name);
		free(t->rows[i].alias);
	}
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* --- sysUpTime --------------------------------------------------------- */

enum ifm_uptime
ifm_uptime_check(uint32_t prev, uint32_t cur, double elapsed)
{
	double el = elapsed > 0 ? elapsed * 100 : 0;
	/* our clock against the agent's, plus the time between our
	 * timestamp and its reading: 5 s and 1 % */
	double tol = 500 + el / 100;

	if (cur >= prev)
		/* grew, but less than the time since the last reading:
		 * restarted since (e.g. during a long outage) */
		return (double)cur + tol < el ? IFM_UPTIME_REBOOT :
		    IFM_UPTIME_OK;
	if ((double)prev + el + tol >= 4294967296.0) {
		double expect = (double)prev + el - 4294967296.0;
		double d = (double)cur - expect;

		if (d <= tol && d >= -tol)
			return IFM_UPTIME_WRAP;
	}
	return IFM_UPTIME_REBOOT;
}

void
ifm_format_ticks(uint32_t ticks, char *buf, size_t len)
{
	uint32_t s = ticks / 100, d = s / 86400;

	s %= 86400;
	if (d > 0)
		snprintf(buf, len, "%u d %02u:%02u:%02u", d, s / 3600,
		    s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%02u:%02u:%02u", s / 3600, s / 60 % 60,
		    s % 60);
}

/* --- counters ---------------------------------------------------------- */

double
ifm_delta32(uint32_t prev, uint32_t cur, double max)
{
	uint32_t d = cur - prev;	/* modulo 2^32: the wrap undone */

	if (cur < prev && max > 0 && (double)d > max)
		return NAN;
	return (double)d;
}

double
ifm_delta64(uint64_t prev, uint64_t cur)
{
	return cur < prev ? NAN : (double)(cur - prev);
}

double
ifm_speed(const struct ifm_row *r)
{
	int s = HAVE(r, IFC_SPEED);

	if (HAVE(r, IFC_HIGH_SPEED) && r->high_speed > 0) {
		double h = (double)r->high_speed * 1e6;
		double d = (double)r->speed - h;

		if (s && r->speed < 4294967295u && d < 1e6 && d > -1e6)
			return (double)r->speed;
		return h;
	}
	return s ? (double)r->speed : NAN;
}

const char *
ifm_base_name(const struct ifm_row *r, char *buf, size_t len)
{
	const char *s = NULL;

	if (r->name != NULL && r->name[0] != '\0')
		s = r->name;
	else if (r->descr != NULL && r->descr[0] != '\0')
		s = r->descr;
	if (s != NULL) {
		snprintf(buf, len, "%s", s);
		utf8_cut(buf, len - 1 < IFM_NAME_MAX ? len - 1 : IFM_NAME_MAX);
	} else
		snprintf(buf, len, "if%u", r->index);
	return buf;
}

const char *
ifm_oper_text(long oper, char *buf, size_t len)
{
	static const char *const names[] = { NULL, "up", "down", "testing",
	    "unknown", "dormant", "notPresent", "lowerLayerDown" };

	if (oper >= 1 && oper <= 7)
		return names[oper];
	snprintf(buf, len, "status %ld", oper);
	return buf;
}

const char *
ifm_admin_text(long admin, char *buf, size_t len)
{
	static const char *const names[] = { NULL, "up", "down", "testing" };

	if (admin >= 1 && admin <= 3)
		return names[admin];
	snprintf(buf, len, "status %ld", admin);
	return buf;
}

/* --- selection --------------------------------------------------------- */

static int
name_matches(const char *want, const struct ifm_row *r)
{
	return (r->name && ascii_casecmp(want, r->name) == 0) ||
	    (r->descr && ascii_casecmp(want, r->descr) == 0) ||
	    (r->alias && r->alias[0] && ascii_casecmp(want, r->alias) == 0);
}

int
ifm_selected(const struct ifm_select *sel, const struct ifm_row *r,
    int was_up_selected)
{
	if (sel->all)
		return 1;
	if (sel->up && ((HAVE(r, IFC_OPER) && r->oper == 1) ||
	    was_up_selected))
		return 1;
	for (size_t i = 0; i < sel->nnames; i++)
		if (name_matches(sel->names[i], r))
			return 1;
	return 0;
}

int
ifm_unmatched(const struct ifm_select *sel, const struct ifm_table *t,
    size_t from)
{
	for (size_t i = from; i < sel->nnames; i++) {
		size_t k;

		for (k = 0; k < t->n; k++)
			if (name_matches(sel->names[i], &t->rows[k]))
				break;
		if (k == t->n)
			return (int)i;
	}
	return -1;
}

/* --- rounds ------------------------------------------------------------ */

static int
port_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ifm_port *)a)->name,
	    ((const struct ifm_port *)b)->name);
}

/* The port named `name` among the first `n` (sorted) ports. */
static struct ifm_port *
port_find(struct ifm_state *st, const char *name, size_t n)
{
	struct ifm_port key = { .name = (char *)(uintptr_t)name };

	if (n == 0)
		return NULL;
	return bsearch(&key, st->ports, n, sizeof(*st->ports), port_cmp);
}

struct named {
	const char *base;
	size_t row;
	int owner;		/* had this name and ifIndex last round */
};

/* Order of a name's rows: the one that had the name last round first
 * (a port keeps its name), then by ifIndex. */
static int
named_cmp(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->base, y->base);

	if (c != 0)
		return c;
	if (x->owner != y->owner)
		return y->owner - x->owner;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Each row's port name: ifName, ifDescr or "if"+ifIndex, made unique by
 * appending "#ifIndex" to all but one row of a name. */
static char **
name_rows(struct ifm_state *st, const struct ifm_table *t)
{
	char **names = calloc(t->n ? t->n : 1, sizeof(*names));
	struct named *nm = calloc(t->n ? t->n : 1, sizeof(*nm));
	char buf[IFM_NAME_MAX + 1];
	size_t i;

	if (names == NULL || nm == NULL)
		goto fail;
	for (i = 0; i < t->n; i++) {
		struct ifm_port *p;

		if ((names[i] = strdup(ifm_base_name(&t->rows[i], buf,
		    sizeof(buf)))) == NULL)
			goto fail;
		p = port_find(st, names[i], st->n);
		nm[i].base = names[i];
		nm[i].row = i;
		nm[i].owner = p != NULL && p->index == t->rows[i].index;
	}
	qsort(nm, t->n, sizeof(*nm), named_cmp);
	for (i = 1; i < t->n; i++) {
		char *s;
		size_t r = nm[i].row;

		if (strcmp(nm[i].base, nm[i - 1].base) != 0)
			continue;
		if (asprintf(&s, "%s#%u", nm[i].base, t->rows[r].index) == -1)
			goto fail;
		nm[i].base = nm[i - 1].base;	/* keep comparing */
		free(names[r]);
		names[r] = s;
	}
	free(nm);
	return names;
fail:
	if (names != NULL)
		for (i = 0; i < t->n; i++)
			free(names[i]);
	free(names);
	free(nm);
	return NULL;
}

/* Add a port for every name not known yet, then sort. */
static int
add_ports(struct ifm_state *st, char **names, size_t n)
{
	size_t before = st->n;

	for (size_t i = 0; i < n; i++) {
		struct ifm_port *p;

		/* names are unique within a round: only the old ports
		 * can hold this one */
		if (port_find(st, names[i], before) != NULL)
			continue;
		if (st->n == st->cap) {
			size_t cap = st->cap ? 2 * st->cap : 64;
			struct ifm_port *ports = realloc(st->ports, cap *
			    sizeof(*ports));

			if (ports == NULL)
				return -1;
			st->ports = ports;
			st->cap = cap;
		}
		p = &st->ports[st->n];
		memset(p, 0, sizeof(*p));
		if ((p->name = strdup(names[i])) == NULL)
			return -1;
		st->n++;
	}
	if (st->n != before)
		qsort(st->ports, st->n, sizeof(*st->ports), port_cmp);
	return 0;
}

static void
port_event(ifm_event_fn *ev, void *arg, const struct ifm_port *p,
    const struct ifm_row *r)
{
	char reason[128], b1[24], b2[24];
	int was_up = p->oper == 1, up = HAVE(r, IFC_OPER) && r->oper == 1;

	if (ev == NULL || p->oper == 0 || was_up == up)
		return;
	if (up) {
		ev(arg, "port_up", p->name, "oper status up");
		return;
	}
	if (!HAVE(r, IFC_OPER))
		snprintf(reason, sizeof(reason), "oper status not reported");
	else if (HAVE(r, IFC_ADMIN))
		snprintf(reason, sizeof(reason), "oper status %s (admin %s)",
		    ifm_oper_text(r->oper, b1, sizeof(b1)),
		    ifm_admin_text(r->admin, b2, sizeof(b2)));
	else
		snprintf(reason, sizeof(reason), "oper status %s",
		    ifm_oper_text(r->oper, b1, sizeof(b1)));
	ev(arg, "port_down", p->name, reason);
}

/* The selected port's values; `cmp`: its previous counters can be
 * compared with these. */
static void
port_values(const struct ifm_port *p, const struct ifm_row *r, int cmp,
    double elapsed, double *v)
{
	int hc = HAVE(r, IFC_HC_IN_OCTETS) && HAVE(r, IFC_HC_OUT_OCTETS);
	double speed = ifm_speed(r), max = 0, max_pkts = 0;

	/* What the port can carry in the interval, twice over: a 32-bit
	 * counter that "wrapped" by more was reset (an agent restarted
	 * between our GET and our walk, "clear counters").  Packets (errors,
	 * discards) are 64 bytes and more; a port of no known speed is
	 * taken for 100 Gbit/s. */
	if (elapsed > 0) {
		double bps = isfinite(speed) && speed > 0 ? speed : 1e11;

		max = bps / 8 * elapsed * 2;
		max_pkts = bps / 512 * elapsed * 2;
	}
	for (int k = 0; k < IFM_NCTR; k++) {
		int have = HAVE(r, ctr_col[k]);
		int had = cmp && ((p->have >> k) & 1);

		v[k] = NAN;
		if (k == IFM_IN_OCTETS || k == IFM_OUT_OCTETS) {
			uint64_t now64 = k == IFM_IN_OCTETS ? r->hc_in :
			    r->hc_out;

			if (hc) {
				if (had && p->hc)
					v[k] = ifm_delta64(p->ctr[k], now64);
				continue;
			}
			if (have && had && !p->hc)
				v[k] = ifm_delta32((uint32_t)p->ctr[k],
				    r->c32[k], max);
			continue;
		}
		if (have && had)
			v[k] = ifm_delta32((uint32_t)p->ctr[k], r->c32[k],
			    max_pkts);
	}
	v[IFV_OPER_UP] = HAVE(r, IFC_OPER) ? (r->oper == 1) : NAN;
	v[IFV_ADMIN_UP] = HAVE(r, IFC_ADMIN) ? (r->admin == 1) : NAN;
	v[IFV_SPEED] = speed;
}

static void
port_remember(struct ifm_port *p, const struct ifm_row *r, uint32_t gen,
    int selected)
{
	int hc = HAVE(r, IFC_HC_IN_OCTETS) && HAVE(r, IFC_HC_OUT_OCTETS);

	p->index = r->index;
	p->seen = gen;
	p->hc = hc;
	p->have = 0;
	for (int k = 0; k < IFM_NCTR; k++) {
		if (hc && (k == IFM_IN_OCTETS || k == IFM_OUT_OCTETS)) {
			p->ctr[k] = k == IFM_IN_OCTETS ? r->hc_in : r->hc_out;
			p->have |= 1u << k;
		} else if (HAVE(r, ctr_col[k])) {
			p->ctr[k] = r->c32[k];
			p->have |= 1u << k;
		}
	}
	p->have_disc = HAVE(r, IFC_DISC_TIME);
	p->disc_time = r->disc_time;
	p->oper = HAVE(r, IFC_OPER) ? r->oper : 0;
	p->admin = HAVE(r, IFC_ADMIN) ? r->admin : 0;
	p->selected = selected;
}

/* Ports the agent no longer reports; forget the long gone. */
static void
ports_gone(struct ifm_state *st, ifm_event_fn *ev, void *arg)
{
	size_t k = 0;

	for (size_t i = 0; i < st->n; i++) {
		struct ifm_port *p = &st->ports[i];

		if (p->seen != st->gen && p->selected && p->oper == 1 && ev)
			ev(arg, "port_down", p->name,
			    "no longer reported by the agent");
		if (p->seen != st->gen) {
			p->oper = 0;
			p->selected = 0;
		}
		if (st->gen - p->seen > FORGET_ROUNDS) {
			free(p->name);
			continue;
		}
		st->ports[k++] = *p;
	}
	st->n = k;
}

long
ifm_update(struct ifm_state *st, const struct ifm_table *t,
    const struct ifm_select *sel, int reset, double elapsed,
    ifm_event_fn *ev, void *arg, struct ifm_out *out)
{
	char **names;
	uint32_t prev = st->gen;
	long n = 0;

	if ((names = name_rows(st, t)) == NULL)
		return -1;
	if (add_ports(st, names, t->n) == -1) {
		for (size_t i = 0; i < t->n; i++)
			free(names[i]);
		free(names);
		return -1;
	}
	st->gen++;
	for (size_t i = 0; i < t->n; i++) {
		const struct ifm_row *r = &t->rows[i];
		struct ifm_port *p = port_find(st, names[i], st->n);
		int sel_now, cmp;

		/* a port seen in the previous complete round (seen == prev,
		 * never 0 once seen: gen starts at 1), same ifIndex, no
		 * counter discontinuity the agent told of */
		cmp = !reset && prev > 0 && p->seen == prev &&
		    p->index == r->index &&
		    !(p->have_disc && HAVE(r, IFC_DISC_TIME) &&
		    p->disc_time != r->disc_time);
		sel_now = ifm_selected(sel, r, p->selected && p->oper == 1);
		if (sel_now) {
			port_event(ev, arg, p, r);
			out[n].name = p->name;
			out[n].label = r->alias && r->alias[0] ? r->alias :
			    NULL;
			port_values(p, r, cmp, elapsed, out[n].values);
			n++;
		}
		port_remember(p, r, st->gen, sel_now);
	}
	for (size_t i = 0; i < t->n; i++)
		free(names[i]);
	free(names);
	ports_gone(st, ev, arg);
	return n;
}

void
ifm_state_free(struct ifm_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->ports[i].name);
	free(st->ports);
	memset(st, 0, sizeof(*st));
}
