/* The snmp probe's IF-MIB arithmetic and selection (plugins/snmp/ifmib.c),
 * fed with real net-snmp varbinds, without an agent. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "ifmib.h"
#include "test.h"

/* --- helpers: varbinds as the walker hands them over ------------------- */

static netsnmp_variable_list *
vb_new(enum ifm_col col, unsigned type, const void *val, size_t len)
{
	netsnmp_variable_list *vl = NULL;

	snmp_varlist_add_variable(&vl, ifm_columns[col].oid,
	    ifm_columns[col].len, (u_char)type, val, len);
	return vl;
}

/* Put one value into the table (0 kept, -1 dropped, -2 full). */
static int
put(struct ifm_table *t, enum ifm_col col, unsigned type, uint32_t index,
    const void *val, size_t len)
{
	netsnmp_variable_list *vb = vb_new(col, type, val, len);
	oid idx[1] = { index };
	int rc = ifm_table_put(t, col, idx, 1, vb, 10000);

	snmp_free_varbind(vb);
	return rc;
}

static void
put_str(struct ifm_table *t, enum ifm_col col, uint32_t index, const char *s)
{
	EXPECT_EQ_INT(0, put(t, col, ASN_OCTET_STR, index, s, strlen(s)));
}

static void
put_u32(struct ifm_table *t, enum ifm_col col, uint32_t index, uint32_t v)
{
	long l = (long)v;

	EXPECT_EQ_INT(0, put(t, col, ifm_columns[col].type, index, &l,
	    sizeof(l)));
}

static void
put_u64(struct ifm_table *t, enum ifm_col col, uint32_t index, uint64_t v)
{
	struct counter64 c = { (u_long)(v >> 32), (u_long)(v & 0xffffffff) };

	EXPECT_EQ_INT(0, put(t, col, ASN_COUNTER64, index, &c, sizeof(c)));
}

/* A port with all of ifTable; ifXTable too when `hc`. */
struct port_def {
	uint32_t index;
	const char *descr, *name, *alias;
	long oper, admin;
	uint32_t speed, high;
	uint64_t in, out;
	uint32_t ierr, oerr, idisc, odisc;
	int hc;
};

static void
put_port(struct ifm_table *t, const struct port_def *p)
{
	put_str(t, IFC_DESCR, p->index, p->descr);
	put_u32(t, IFC_SPEED, p->index, p->speed);
	put_u32(t, IFC_ADMIN, p->index, (uint32_t)p->admin);
	put_u32(t, IFC_OPER, p->index, (uint32_t)p->oper);
	put_u32(t, IFC_IN_OCTETS, p->index, (uint32_t)p->in);
	put_u32(t, IFC_OUT_OCTETS, p->index, (uint32_t)p->out);
	put_u32(t, IFC_IN_ERRORS, p->index, p->ierr);
	put_u32(t, IFC_OUT_ERRORS, p->index, p->oerr);
	put_u32(t, IFC_IN_DISCARDS, p->index, p->idisc);
	put_u32(t, IFC_OUT_DISCARDS, p->index, p->odisc);
	if (!p->hc)
		return;
	put_str(t, IFC_NAME, p->index, p->name);
	put_u64(t, IFC_HC_IN_OCTETS, p->index, p->in);
	put_u64(t, IFC_HC_OUT_OCTETS, p->index, p->out);
	put_u32(t, IFC_HIGH_SPEED, p->index, p->high);
	put_str(t, IFC_ALIAS, p->index, p->alias ? p->alias : "");
}

/* Events a round reported, as "kind port: reason" lines. */
static char events[2048];

static void
on_event(void *arg, const char *kind, const char *port, const char *reason)
{
	size_t n = strlen(events);

	(void)arg;
	snprintf(events + n, sizeof(events) - n, "%s %s: %s\n", kind, port,
	    reason);
}

/* Run a round of `ports` through ifm_update. */
static long
round_of(struct ifm_state *st, const struct port_def *ports, size_t n,
    const struct ifm_select *sel, int reset, double elapsed,
    struct ifm_out *out)
{
	struct ifm_table t;
	long k;

	memset(&t, 0, sizeof(t));
	events[0] = '\0';
	for (size_t i = 0; i < n; i++)
		put_port(&t, &ports[i]);
	k = ifm_update(st, &t, sel, reset, elapsed, on_event, NULL, out);
	/* the labels point into the table: copy what the checks need */
	for (long i = 0; i < k; i++)
		out[i].label = out[i].label ? "(label)" : NULL;
	ifm_table_free(&t);
	return k;
}

static const struct ifm_select ALL = { 1, 0, NULL, 0 };

/* --- counters ---------------------------------------------------------- */

DEF_TEST(delta64)
{
	EXPECT_NEAR(500, ifm_delta64(1000, 1500), 0);
	EXPECT_NEAR(0, ifm_delta64(7, 7), 0);
	/* 2^40 + 10 - 2^40 */
	EXPECT_NEAR(10, ifm_delta64(1ULL << 40, (1ULL << 40) + 10), 0);
	/* a 64-bit counter never wraps in practice: back = discontinuity */
	EXPECT_NAN(ifm_delta64(1500, 1000));
	return 0;
}

DEF_TEST(delta32_wrap)
{
	/* 4294967000 -> 500: 296 to the top, then 500 */
	EXPECT_NEAR(796, ifm_delta32(4294967000u, 500, 0), 0);
	EXPECT_NEAR(796, ifm_delta32(4294967000u, 500, 1e6), 0);
	EXPECT_NEAR(100, ifm_delta32(400, 500, 0), 0);
	/* no wrap: never bounded */
	EXPECT_NEAR(3e9, ifm_delta32(0, 3000000000u, 10), 0);
	/* a "wrap" worth 4 GB where the port moves 1000 bytes at most:
	 * the counter was reset */
	EXPECT_NAN(ifm_delta32(1000, 10, 1000));
	return 0;
}

DEF_TEST(uptime)
{
	char buf[32];

	EXPECT_EQ_INT(IFM_UPTIME_OK, ifm_uptime_check(100000, 106000, 60));
	/* the agent's clock a little off ours */
	EXPECT_EQ_INT(IFM_UPTIME_OK, ifm_uptime_check(100000, 105500, 60));
	/* frozen sysUpTime (simulators): not a reboot */
	EXPECT_EQ_INT(IFM_UPTIME_OK, ifm_uptime_check(697202257, 697202257,
	    60));
	/* went back */
	EXPECT_EQ_INT(IFM_UPTIME_REBOOT, ifm_uptime_check(104739000, 13000,
	    60));
	/* restarted during a long outage: grew, but it is younger than
	 * the time since our previous reading */
	EXPECT_EQ_INT(IFM_UPTIME_REBOOT, ifm_uptime_check(10000, 60000, 3600));
	/* 497 days: the 32-bit TimeTicks wrap */
	EXPECT_EQ_INT(IFM_UPTIME_WRAP, ifm_uptime_check(4294967000u, 5704,
	    60));
	EXPECT_EQ_INT(IFM_UPTIME_REBOOT, ifm_uptime_check(4294967000u, 900000,
	    60));

	ifm_format_ticks(104739000 + 5, buf, sizeof(buf));
	EXPECT_EQ_STR("12 d 02:56:30", buf);
	ifm_format_ticks(13000, buf, sizeof(buf));
	EXPECT_EQ_STR("00:02:10", buf);
	return 0;
}

/* --- strings ----------------------------------------------------------- */

DEF_TEST(clean)
{
	char out[16];
	static const unsigned char viet[] = "Tr\xc3\xa0 Linh";
	static const unsigned char bad[] = "a\xff" "b\xc3";
	static const unsigned char nul[] = { 'G', 'i', '1', 0, 0 };
	static const unsigned char ctl[] = " x\ty\x1b" "z ";

	EXPECT_EQ_INT(9, ifm_clean(viet, 9, out, 15, 0));
	EXPECT_EQ_STR("Tr\xc3\xa0 Linh", out);
	ifm_clean(bad, 4, out, 15, 0);
	EXPECT_EQ_STR("a?b?", out);
	ifm_clean(nul, sizeof(nul), out, 15, 0);
	EXPECT_EQ_STR("Gi1", out);
	ifm_clean(ctl, 7, out, 15, 0);
	EXPECT_EQ_STR("x y z", out);
	/* cut at 3 bytes: "Tr" and not half of the a-grave */
	ifm_clean(viet, 9, out, 3, 0);
	EXPECT_EQ_STR("Tr", out);
	ifm_clean((const unsigned char *)"Cisco IOS\r\nTech", 15, out, 15, 1);
	EXPECT_EQ_STR("Cisco IOS", out);
	/* overlong '/' and a UTF-16 surrogate are not UTF-8 */
	ifm_clean((const unsigned char *)"\xc0\xaf\xed\xa0\x80", 5, out, 15,
	    0);
	EXPECT_EQ_STR("?????", out);
	return 0;
}

/* --- the table --------------------------------------------------------- */

DEF_TEST(table_checks)
{
	struct ifm_table t;
	long v = 1;
	struct counter64 c = { 0, 5 };
	netsnmp_variable_list *vb;
	oid two[2] = { 1, 2 }, zero[1] = { 0 };

	memset(&t, 0, sizeof(t));
	/* a Counter32 where Counter64 belongs, an INTEGER for a string */
	EXPECT_EQ_INT(-1, put(&t, IFC_HC_IN_OCTETS, ASN_COUNTER, 1, &v,
	    sizeof(v)));
	EXPECT_EQ_INT(-1, put(&t, IFC_DESCR, ASN_INTEGER, 1, &v, sizeof(v)));
	/* noSuchInstance in a walk */
	EXPECT_EQ_INT(-1, put(&t, IFC_OPER, SNMP_NOSUCHINSTANCE, 1, NULL, 0));
	/* ifOperStatus 9 does not exist */
	v = 9;
	EXPECT_EQ_INT(-1, put(&t, IFC_OPER, ASN_INTEGER, 1, &v, sizeof(v)));
	EXPECT_EQ_INT(0, t.n);
	/* an index of two sub-identifiers, or 0 */
	vb = vb_new(IFC_OPER, ASN_INTEGER, &v, sizeof(v));
	EXPECT_EQ_INT(-1, ifm_table_put(&t, IFC_OPER, two, 2, vb, 100));
	EXPECT_EQ_INT(-1, ifm_table_put(&t, IFC_OPER, zero, 1, vb, 100));
	snmp_free_varbind(vb);
	/* good ones, out of order: kept sorted by ifIndex */
	EXPECT_EQ_INT(0, put(&t, IFC_HC_IN_OCTETS, ASN_COUNTER64, 10, &c,
	    sizeof(c)));
	EXPECT_EQ_INT(0, put(&t, IFC_DESCR, ASN_OCTET_STR, 3, "eth0", 4));
	EXPECT_EQ_INT(0, put(&t, IFC_DESCR, ASN_OCTET_STR, 7, "eth1", 4));
	EXPECT_EQ_INT(3, t.n);
	EXPECT_EQ_INT(3, t.rows[0].index);
	EXPECT_EQ_INT(7, t.rows[1].index);
	EXPECT_EQ_INT(10, t.rows[2].index);
	EXPECT_EQ_INT(5, t.rows[2].hc_in);
	/* the same cell twice is not believed */
	EXPECT_EQ_INT(-1, put(&t, IFC_DESCR, ASN_OCTET_STR, 7, "evil", 4));
	EXPECT_EQ_STR("eth1", t.rows[1].descr);
	ifm_table_free(&t);

	/* the row bound */
	vb = vb_new(IFC_DESCR, ASN_OCTET_STR, "x", 1);
	for (oid i = 1; i <= 3; i++)
		EXPECT_EQ_INT(0, ifm_table_put(&t, IFC_DESCR, &i, 1, vb, 3));
	{
		oid i = 4;

		EXPECT_EQ_INT(-2, ifm_table_put(&t, IFC_DESCR, &i, 1, vb, 3));
	}
	snmp_free_varbind(vb);
	ifm_table_free(&t);
	return 0;
}

DEF_TEST(speed_and_names)
{
	struct ifm_table t;
	char buf[IFM_NAME_MAX + 1];
	struct ifm_row *r;

	memset(&t, 0, sizeof(t));
	put_u32(&t, IFC_SPEED, 1, 1000000000);
	put_u32(&t, IFC_HIGH_SPEED, 1, 1000);
	put_u32(&t, IFC_SPEED, 2, 4294967295u);	/* 10G: at its top */
	put_u32(&t, IFC_HIGH_SPEED, 2, 10000);
	put_u32(&t, IFC_SPEED, 3, 1544000);	/* T1: ifSpeed the precise */
	put_u32(&t, IFC_HIGH_SPEED, 3, 2);
	put_u32(&t, IFC_SPEED, 4, 100000000);	/* no ifXTable */
	put_u32(&t, IFC_HIGH_SPEED, 5, 0);	/* 0, and no ifSpeed */
	put_u32(&t, IFC_SPEED, 6, 10000000);	/* disagree: ifHighSpeed */
	put_u32(&t, IFC_HIGH_SPEED, 6, 100);
	EXPECT_NEAR(1e9, ifm_speed(&t.rows[0]), 0);
	EXPECT_NEAR(1e10, ifm_speed(&t.rows[1]), 0);
	EXPECT_NEAR(1544000, ifm_speed(&t.rows[2]), 0);
	EXPECT_NEAR(1e8, ifm_speed(&t.rows[3]), 0);
	EXPECT_NAN(ifm_speed(&t.rows[4]));
	EXPECT_NEAR(1e8, ifm_speed(&t.rows[5]), 0);

	put_str(&t, IFC_NAME, 1, "Gi1/0/1");
	put_str(&t, IFC_DESCR, 1, "GigabitEthernet1/0/1");
	put_str(&t, IFC_DESCR, 2, "GigabitEthernet1/0/2");
	put_str(&t, IFC_NAME, 2, "");		/* empty ifName */
	EXPECT_EQ_STR("Gi1/0/1", ifm_base_name(&t.rows[0], buf, sizeof(buf)));
	EXPECT_EQ_STR("GigabitEthernet1/0/2", ifm_base_name(&t.rows[1], buf,
	    sizeof(buf)));
	EXPECT_EQ_STR("if3", ifm_base_name(&t.rows[2], buf, sizeof(buf)));
	/* a long ifDescr is cut to a name's length */
	put_str(&t, IFC_DESCR, 4, "Intel Corporation 82574L Gigabit Network "
	    "Connection, port 1 of the mainboard");
	ifm_base_name(&t.rows[3], buf, sizeof(buf));
	EXPECT_EQ_INT(IFM_NAME_MAX, strlen(buf));
	r = &t.rows[0];
	EXPECT_TRUE(r->name && r->descr && !r->alias);
	ifm_table_free(&t);
	return 0;
}

DEF_TEST(selection)
{
	struct ifm_table t;
	char *names[] = { "gi1/0/24", "Uplink Tr\xc3\xa0 Linh", "eth9" };
	struct ifm_select by_name = { 0, 0, names, 3 };
	struct ifm_select up = { 0, 1, NULL, 0 };

	memset(&t, 0, sizeof(t));
	put_str(&t, IFC_NAME, 1, "Gi1/0/1");
	put_str(&t, IFC_DESCR, 1, "GigabitEthernet1/0/1");
	put_str(&t, IFC_ALIAS, 1, "Uplink Tr\xc3\xa0 Linh");
	put_u32(&t, IFC_OPER, 1, 1);
	put_str(&t, IFC_NAME, 24, "Gi1/0/24");
	put_u32(&t, IFC_OPER, 24, 2);
	put_str(&t, IFC_DESCR, 30, "Vlan1");
	put_u32(&t, IFC_OPER, 30, 7);

	EXPECT_TRUE(ifm_selected(&ALL, &t.rows[2], 0));
	/* by alias, by ifName (case does not matter) */
	EXPECT_TRUE(ifm_selected(&by_name, &t.rows[0], 0));
	EXPECT_TRUE(ifm_selected(&by_name, &t.rows[1], 0));
	EXPECT_TRUE(!ifm_selected(&by_name, &t.rows[2], 0));
	/* by ifDescr */
	names[2] = "vlan1";
	EXPECT_TRUE(ifm_selected(&by_name, &t.rows[2], 0));
	names[2] = "eth9";
	EXPECT_EQ_INT(2, ifm_unmatched(&by_name, &t, 0));
	EXPECT_EQ_INT(-1, ifm_unmatched(&by_name, &t, 3));
	/* "up": up now, or up and selected last round */
	EXPECT_TRUE(ifm_selected(&up, &t.rows[0], 0));
	EXPECT_TRUE(!ifm_selected(&up, &t.rows[1], 0));
	EXPECT_TRUE(ifm_selected(&up, &t.rows[1], 1));
	EXPECT_TRUE(!ifm_selected(&up, &t.rows[2], 0));
	ifm_table_free(&t);
	return 0;
}

/* --- rounds ------------------------------------------------------------ */

static const struct ifm_out *
find_out(const struct ifm_out *out, long n, const char *name)
{
	for (long i = 0; i < n; i++)
		if (strcmp(out[i].name, name) == 0)
			return &out[i];
	return NULL;
}

DEF_TEST(rounds_counters)
{
	struct ifm_state st;
	struct ifm_out out[8];
	struct port_def p[2] = {
		{ 1, "GigabitEthernet1/0/1", "Gi1/0/1", "Uplink", 1, 1,
		    1000000000, 1000, 5000000000ULL, 100, 1, 2, 3, 4, 1 },
		{ 2, "GigabitEthernet1/0/2", "Gi1/0/2", NULL, 2, 1,
		    1000000000, 1000, 4294967000u, 7, 0, 0, 0, 0, 1 },
	};
	long n;

	memset(&st, 0, sizeof(st));
	/* first round: levels, no increases yet */
	n = round_of(&st, p, 2, &ALL, 0, 0, out);
	EXPECT_EQ_INT(2, n);
	EXPECT_EQ_STR("Gi1/0/1", out[0].name);
	EXPECT_EQ_STR("(label)", out[0].label);
	EXPECT_TRUE(out[1].label == NULL);
	for (int k = 0; k < IFM_NCTR; k++)
		EXPECT_NAN(out[0].values[k]);
	EXPECT_NEAR(1, out[0].values[IFV_OPER_UP], 0);
	EXPECT_NEAR(0, out[1].values[IFV_OPER_UP], 0);
	EXPECT_NEAR(1, out[1].values[IFV_ADMIN_UP], 0);
	EXPECT_NEAR(1e9, out[0].values[IFV_SPEED], 0);
	EXPECT_EQ_STR("", events);

	/* second: 64-bit increases; the ifTable errors */
	p[0].in += 7500000000ULL;	/* more than 2^32: HC it is */
	p[0].out += 250;
	p[0].ierr += 5;
	p[0].odisc += 1;
	p[1].in = 4294967000ULL + 796;	/* HC: no wrap at 2^32 */
	n = round_of(&st, p, 2, &ALL, 0, 60, out);
	EXPECT_EQ_INT(2, n);
	EXPECT_NEAR(7500000000.0, out[0].values[IFV_IN_OCTETS], 0);
	EXPECT_NEAR(250, out[0].values[IFV_OUT_OCTETS], 0);
	EXPECT_NEAR(5, out[0].values[IFV_IN_ERRORS], 0);
	EXPECT_NEAR(0, out[0].values[IFV_OUT_ERRORS], 0);
	EXPECT_NEAR(0, out[0].values[IFV_IN_DISCARDS], 0);
	EXPECT_NEAR(1, out[0].values[IFV_OUT_DISCARDS], 0);
	EXPECT_NEAR(796, out[1].values[IFV_IN_OCTETS], 0);

	/* a 64-bit counter that went back: that one is NAN */
	p[0].in -= 10;
	p[0].out += 50;
	n = round_of(&st, p, 2, &ALL, 0, 60, out);
	EXPECT_NAN(out[0].values[IFV_IN_OCTETS]);
	EXPECT_NEAR(50, out[0].values[IFV_OUT_OCTETS], 0);

	/* a reboot (or a failed round before): every counter NAN */
	p[0].out += 50;
	n = round_of(&st, p, 2, &ALL, 1, 60, out);
	for (long i = 0; i < n; i++)
		for (int k = 0; k < IFM_NCTR; k++)
			EXPECT_NAN(out[i].values[k]);
	EXPECT_NEAR(1, out[0].values[IFV_OPER_UP], 0);

	/* and the round after counts again */
	p[0].out += 50;
	round_of(&st, p, 2, &ALL, 0, 60, out);
	EXPECT_NEAR(50, out[0].values[IFV_OUT_OCTETS], 0);
	ifm_state_free(&st);
	return 0;
}

DEF_TEST(rounds_32bit_fallback)
{
	struct ifm_state st;
	struct ifm_out out[4];
	/* a v1 agent, or one without ifXTable: ifDescr names, 32 bits */
	struct port_def p[1] = {
		{ 2, "eth0", NULL, NULL, 1, 1, 100000000, 0, 4294967000u, 10,
		    0, 0, 4294967295u, 0, 0 },
	};
	long n;

	memset(&st, 0, sizeof(st));
	round_of(&st, p, 1, &ALL, 0, 0, out);
	p[0].in = 500;			/* wrapped */
	p[0].out = 20;
	p[0].idisc = 3;			/* wrapped too */
	n = round_of(&st, p, 1, &ALL, 0, 60, out);
	EXPECT_EQ_INT(1, n);
	EXPECT_EQ_STR("eth0", out[0].name);
	EXPECT_NEAR(796, out[0].values[IFV_IN_OCTETS], 0);
	EXPECT_NEAR(10, out[0].values[IFV_OUT_OCTETS], 0);
	EXPECT_NEAR(4, out[0].values[IFV_IN_DISCARDS], 0);
	EXPECT_NEAR(1e8, out[0].values[IFV_SPEED], 0);

	/* in 1 s at 100 Mbit/s nobody moves 4 GB: a reset, not a wrap */
	p[0].in = 100;
	n = round_of(&st, p, 1, &ALL, 0, 1, out);
	EXPECT_NAN(out[0].values[IFV_IN_OCTETS]);

	/* errors (and discards) back to 0 with no restart seen (the agent
	 * restarted between our GET and our walk): not a wrap of 4 G
	 * errors, on a 100 Mbit/s port in 60 s */
	p[0].in = 200;
	round_of(&st, p, 1, &ALL, 0, 60, out);
	p[0].ierr = 7;
	p[0].oerr = 0;
	round_of(&st, p, 1, &ALL, 0, 60, out);
	p[0].ierr = 2;
	n = round_of(&st, p, 1, &ALL, 0, 60, out);
	EXPECT_NAN(out[0].values[IFV_IN_ERRORS]);
	EXPECT_NEAR(0, out[0].values[IFV_OUT_ERRORS], 0);
	/* but a real one near 2^32 is undone */
	p[0].oerr = 4294967290u;
	round_of(&st, p, 1, &ALL, 0, 60, out);
	p[0].oerr = 10;
	n = round_of(&st, p, 1, &ALL, 0, 60, out);
	EXPECT_NEAR(16, out[0].values[IFV_OUT_ERRORS], 0);

	/* the agent grows an ifXTable: 32 -> 64 bits is a discontinuity */
	p[0].hc = 1;
	p[0].name = "eth0";
	p[0].in = 200;
	n = round_of(&st, p, 1, &ALL, 0, 60, out);
	EXPECT_NAN(out[0].values[IFV_IN_OCTETS]);
	EXPECT_NAN(out[0].values[IFV_OUT_OCTETS]);
	EXPECT_NEAR(0, out[0].values[IFV_IN_ERRORS], 0);
	ifm_state_free(&st);
	return 0;
}

DEF_TEST(rounds_names_and_renumbering)
{
	struct ifm_state st;
	struct ifm_out out[4];
	struct port_def p[3] = {
		{ 1, "Gi1/0/1", "Gi1/0/1", NULL, 1, 1, 0, 1000, 100, 100,
		    0, 0, 0, 0, 1 },
		{ 2, "Gi1/0/2", "Gi1/0/2", NULL, 1, 1, 0, 1000, 100, 100,
		    0, 0, 0, 0, 1 },
		{ 3, "Port", "Port", NULL, 1, 1, 0, 1000, 100, 100, 0, 0, 0, 0,
		    1 },
	};
	long n;

	memset(&st, 0, sizeof(st));
	round_of(&st, p, 3, &ALL, 0, 0, out);
	/* after a reboot the agent numbered Gi1/0/2 5: the name follows
	 * the port, the counters start over */
	p[1].index = 5;
	p[0].in += 10;
	p[1].in += 10;
	n = round_of(&st, p, 3, &ALL, 0, 60, out);
	EXPECT_EQ_INT(3, n);
	EXPECT_NEAR(10, find_out(out, n, "Gi1/0/1")->values[IFV_IN_OCTETS],
	    0);
	EXPECT_TRUE(find_out(out, n, "Gi1/0/2") != NULL);
	EXPECT_NAN(find_out(out, n, "Gi1/0/2")->values[IFV_IN_OCTETS]);

	/* two ports called "Port": the higher ifIndex gets "#ifIndex" */
	p[1].name = "Port";
	p[1].index = 2;
	n = round_of(&st, p, 3, &ALL, 0, 60, out);
	EXPECT_EQ_STR("Port#2", out[1].name);
	EXPECT_EQ_STR("Port", out[2].name);
	/* Gi1/0/2 is gone: it was up, so that is news */
	EXPECT_CONTAINS(events, "port_down Gi1/0/2: no longer reported by "
	    "the agent");
	ifm_state_free(&st);
	return 0;
}

DEF_TEST(rounds_events)
{
	struct ifm_state st;
	struct ifm_out out[4];
	char *names[] = { "Gi1/0/2" };
	struct ifm_select one = { 0, 0, names, 1 };
	struct ifm_select up = { 0, 1, NULL, 0 };
	struct port_def p[2] = {
		{ 1, "Gi1/0/1", "Gi1/0/1", NULL, 1, 1, 0, 1000, 0, 0, 0, 0, 0,
		    0, 1 },
		{ 2, "Gi1/0/2", "Gi1/0/2", NULL, 1, 1, 0, 1000, 0, 0, 0, 0, 0,
		    0, 1 },
	};
	long n;

	memset(&st, 0, sizeof(st));
	/* only Gi1/0/2 is watched */
	n = round_of(&st, p, 2, &one, 0, 0, out);
	EXPECT_EQ_INT(1, n);
	EXPECT_EQ_STR("Gi1/0/2", out[0].name);
	p[0].oper = 2;
	p[1].oper = 7;
	n = round_of(&st, p, 2, &one, 0, 60, out);
	EXPECT_EQ_STR("port_down Gi1/0/2: oper status lowerLayerDown "
	    "(admin up)\n", events);
	/* still down: nothing new */
	n = round_of(&st, p, 2, &one, 0, 60, out);
	EXPECT_EQ_STR("", events);
	p[1].oper = 1;
	n = round_of(&st, p, 2, &one, 0, 60, out);
	EXPECT_EQ_STR("port_up Gi1/0/2: oper status up\n", events);
	ifm_state_free(&st);

	/* "up": a port going down is reported that round, then dropped */
	memset(&st, 0, sizeof(st));
	p[0].oper = p[1].oper = 1;
	n = round_of(&st, p, 2, &up, 0, 0, out);
	EXPECT_EQ_INT(2, n);
	p[0].oper = 2;
	p[0].admin = 2;
	n = round_of(&st, p, 2, &up, 0, 60, out);
	EXPECT_EQ_INT(2, n);
	EXPECT_NEAR(0, find_out(out, n, "Gi1/0/1")->values[IFV_OPER_UP], 0);
	EXPECT_EQ_STR("port_down Gi1/0/1: oper status down (admin down)\n",
	    events);
	n = round_of(&st, p, 2, &up, 0, 60, out);
	EXPECT_EQ_INT(1, n);
	EXPECT_EQ_STR("Gi1/0/2", out[0].name);
	/* back up: selected again, and news */
	p[0].oper = 1;
	n = round_of(&st, p, 2, &up, 0, 60, out);
	EXPECT_EQ_INT(2, n);
	EXPECT_EQ_STR("port_up Gi1/0/1: oper status up\n", events);
	ifm_state_free(&st);
	return 0;
}

DEF_TEST(discontinuity_time)
{
	struct ifm_state st;
	struct ifm_out out[2];
	struct ifm_table t;
	long n;

	memset(&st, 0, sizeof(st));
	for (int round = 0; round < 3; round++) {
		memset(&t, 0, sizeof(t));
		put_str(&t, IFC_NAME, 1, "Gi1/0/1");
		put_u64(&t, IFC_HC_IN_OCTETS, 1, 1000 + 100 * round);
		put_u64(&t, IFC_HC_OUT_OCTETS, 1, 1000);
		/* the agent says the counters restarted before round 2 */
		put_u32(&t, IFC_DISC_TIME, 1, round < 2 ? 500 : 900);
		n = ifm_update(&st, &t, &ALL, 0, 60, NULL, NULL, out);
		EXPECT_EQ_INT(1, n);
		if (round == 1)
			EXPECT_NEAR(100, out[0].values[IFV_IN_OCTETS], 0);
		if (round == 2)
			EXPECT_NAN(out[0].values[IFV_IN_OCTETS]);
		ifm_table_free(&t);
	}
	ifm_state_free(&st);
	return 0;
}

DEF_TEST(column_oids)
{
	oid parsed[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;

	/* the tables agree with the MIB's numbers, parsed by net-snmp
	 * without any MIB file */
	EXPECT_TRUE(read_objid(".1.3.6.1.2.1.31.1.1.1.6", parsed, &len) == 1);
	EXPECT_EQ_INT(0, snmp_oid_compare(parsed, len,
	    ifm_columns[IFC_HC_IN_OCTETS].oid,
	    ifm_columns[IFC_HC_IN_OCTETS].len));
	len = MAX_OID_LEN;
	EXPECT_TRUE(read_objid(".1.3.6.1.2.1.2.2.1.20", parsed, &len) == 1);
	EXPECT_EQ_INT(0, snmp_oid_compare(parsed, len,
	    ifm_columns[IFC_OUT_ERRORS].oid, ifm_columns[IFC_OUT_ERRORS].len));
	len = MAX_OID_LEN;
	EXPECT_TRUE(read_objid(".1.3.6.1.2.1.1.3.0", parsed, &len) == 1);
	EXPECT_EQ_INT(0, snmp_oid_compare(parsed, len, ifm_sys_uptime,
	    IFM_SYS_LEN));
	/* columns strictly increase within each table: the walker's
	 * cursors rely on it */
	for (int c = 1; c < IFC_COUNT; c++)
		if (c != IFC_FIRST_X)
			EXPECT_TRUE(snmp_oid_compare(ifm_columns[c - 1].oid,
			    ifm_columns[c - 1].len, ifm_columns[c].oid,
			    ifm_columns[c].len) < 0);
	return 0;
}

int
main(void)
{
	/* as the probe does: no MIB files, no configuration, no state */
	setenv("MIBS", "", 1);
	setenv("MIBDIRS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	init_snmp("ifmib_test");
	RUN_TEST(delta64);
	RUN_TEST(delta32_wrap);
	RUN_TEST(uptime);
	RUN_TEST(clean);
	RUN_TEST(table_checks);
	RUN_TEST(speed_and_names);
	RUN_TEST(selection);
	RUN_TEST(rounds_counters);
	RUN_TEST(rounds_32bit_fallback);
	RUN_TEST(rounds_names_and_renumbering);
	RUN_TEST(rounds_events);
	RUN_TEST(discontinuity_time);
	RUN_TEST(column_oids);
	snmp_shutdown("ifmib_test");
	END_TEST;
}
