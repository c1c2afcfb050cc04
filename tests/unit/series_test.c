/* A probe's values and instances: gauges, counters made rates and
 * totals, instances that come, go and are forgotten. */
#include "config.h"

#include "series.h"
#include "test.h"

static const struct tm_value_def tvals[] = {
	{ "uptime", 0, NAN, TM_GAUGE },
};
static const struct tm_value_def ivals[] = {
	{ "in_octets", 0, NAN, TM_COUNTER },
	{ "oper_up", 0, 1, TM_GAUGE },
};
static const struct tm_probe_ops ops = {
	.abi = TM_PLUGIN_ABI, .name = "snmp",
	.values = tvals, .nvalues = 1,
	.ivalues = ivals, .nivalues = 2,
	.instance_kind = "if", .instance_label = "ifname",
	.instance_list = "interfaces",
};

#define SEC 1000000000LL

static void
round_of(struct series_table *t, int64_t ns, time_t now, double uptime,
    const struct tm_instance *in, size_t n)
{
	struct tm_result r = { .sent = 1, .received = 1 };
	double tv[1] = { uptime };

	r.values = tv;
	r.instances = in;
	r.ninstances = n;
	series_update(t, &r, ns, now);
}

static const struct instance *
named(const struct series_table *t, const char *name)
{
	for (size_t i = 0; i < t->ninst; i++)
		if (strcmp(t->inst[i].name, name) == 0)
			return &t->inst[i];
	return NULL;
}

DEF_TEST(counters_become_rates_and_totals)
{
	struct series_table t;
	double a1[2] = { NAN, 1 }, a2[2] = { 600000, 1 }, a3[2] = { NAN, 1 },
	    a4[2] = { 1200000, 1 };
	struct tm_instance in = { "Gi1/0/1", "Uplink", a1 };
	const struct instance *p;

	series_init(&t, &ops);
	round_of(&t, 100 * SEC, 1000, 5000, &in, 1);	/* first: no rate */
	p = named(&t, "Gi1/0/1");
	EXPECT_TRUE(p != NULL);
	EXPECT_NAN(p->s.value[0]);
	EXPECT_NEAR(1, p->s.value[1], 0);
	EXPECT_NEAR(5000, t.target.value[0], 0);
	EXPECT_EQ_STR("Uplink", p->label);

	in.values = a2;				/* 600 kB in 60 s */
	round_of(&t, 160 * SEC, 1060, 5060, &in, 1);
	p = named(&t, "Gi1/0/1");
	EXPECT_NEAR(10000, p->s.value[0], 1e-6);
	EXPECT_NEAR(600000, p->s.total[0], 0);

	in.values = a3;				/* a reboot: dropped */
	round_of(&t, 220 * SEC, 1120, 30, &in, 1);
	p = named(&t, "Gi1/0/1");
	EXPECT_NAN(p->s.value[0]);
	EXPECT_NEAR(600000, p->s.total[0], 0);	/* the total goes on */

	in.values = a4;
	in.label = NULL;
	round_of(&t, 250 * SEC, 1150, 60, &in, 1);	/* a 30 s round */
	p = named(&t, "Gi1/0/1");
	EXPECT_NEAR(40000, p->s.value[0], 1e-6);
	EXPECT_NEAR(1800000, p->s.total[0], 0);
	EXPECT_TRUE(p->label == NULL);
	series_free(&t);
	return 0;
}

DEF_TEST(instances_come_and_go)
{
	struct series_table t;
	double v[2] = { 1000, 1 };
	struct tm_instance two[2] = { { "Gi1/0/1", NULL, v },
		{ "Gi1/0/2", NULL, v } };

	series_init(&t, &ops);
	round_of(&t, 1 * SEC, 1000, 1, two, 2);
	round_of(&t, 61 * SEC, 1060, 61, two, 1);	/* Gi1/0/2 not selected */
	EXPECT_EQ_INT(2, t.ninst);
	EXPECT_TRUE(series_current(&t, named(&t, "Gi1/0/1")));
	EXPECT_TRUE(!series_current(&t, named(&t, "Gi1/0/2")));
	/* a week later it is forgotten */
	round_of(&t, 8 * 86400 * SEC, 1060 + 8 * 86400, 9, two, 1);
	EXPECT_EQ_INT(1, t.ninst);
	EXPECT_TRUE(named(&t, "Gi1/0/2") == NULL);
	/* a nameless instance is ignored */
	two[1].name = "";
	round_of(&t, 8 * 86400 * SEC + 60, 1120 + 8 * 86400, 9, two, 2);
	EXPECT_EQ_INT(1, t.ninst);
	series_free(&t);
	return 0;
}

DEF_TEST(probe_without_values)
{
	struct series_table t;
	struct tm_result r = { .sent = 1, .received = 1 };

	series_init(&t, NULL);
	series_update(&t, &r, SEC, 1);
	EXPECT_EQ_INT(0, t.ninst);
	EXPECT_EQ_INT(0, t.ndefs);
	series_free(&t);
	return 0;
}

int
main(void)
{
	RUN_TEST(counters_become_rates_and_totals);
	RUN_TEST(instances_come_and_go);
	RUN_TEST(probe_without_values);
	END_TEST;
}
