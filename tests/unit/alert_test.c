/* What the notices say, in Vietnamese and English. */
#include "config.h"

#include <stdlib.h>

#include "alert.h"
#include "conf.h"
#include "i18n.h"
#include "test.h"

enum { WAN, LINH, CANG, SW, N };

static struct target_def defs[N];
static struct conf conf = { .targets = defs, .ntargets = N,
	.name = "Huyện Nam Trà My" };
static struct tstatus st[N];
static const time_t t0 = 1795700000;	/* 2026-11-26 20:33:20 +07 */

static void
setup(int lang)
{
	static const char *ids[N] = { "wan", "tra-linh", "tra-cang",
		"core-sw" };
	static const char *names[N] = { "Bộ định tuyến WAN", "Xã Trà Linh",
		"Xã Trà Cang", "Switch lõi UBND" };
	static const char *hosts[N] = { "198.18.1.1", "198.18.2.17",
		"198.18.2.16", "198.18.1.2" };

	for (int i = 0; i < N; i++) {
		memset(&defs[i], 0, sizeof(defs[i]));
		defs[i].pub.id = ids[i];
		defs[i].pub.name = names[i];
		defs[i].pub.host = hosts[i];
		defs[i].group = i == LINH || i == CANG ? "Điểm cầu" : "Hạ tầng";
		defs[i].parent = i == LINH || i == CANG ? WAN : -1;
		memset(&st[i], 0, sizeof(st[i]));
		st[i].state = TS_UP;
	}
	conf.language = lang;
	conf.base_url = "";
}

static int
has(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		return 1;
	printf("# missing \"%s\" in:\n# %s\n", needle, hay);
	return 0;
}

DEF_TEST(down_subject_as_spec)
{
	struct notice no = { .kind = NK_DOWN, .target = LINH, .at = t0,
		.since = t0, .why = "timeout" };
	struct alert_text t;

	setup(LANG_VI);
	st[LINH].state = TS_DOWN;
	st[LINH].last_round = t0;
	st[LINH].last = (struct round_stats){ .sent = 20, .received = 0,
		.loss_pct = 100 };
	alert_compose(&conf, st, &no, &t);
	EXPECT_EQ_STR("[tramon] MẤT KẾT NỐI: Xã Trà Linh (198.18.2.17)",
	    t.subject);
	EXPECT_TRUE(has(t.body, "Xã Trà Linh (198.18.2.17) mất kết nối.\n"));
	EXPECT_TRUE(has(t.body, "Nhóm: Điểm cầu\n"));
	EXPECT_TRUE(has(t.body, "Trạng thái: Mất kết nối\n"));
	EXPECT_TRUE(has(t.body, "Thời gian: 26/11/2026 20:33\n"));
	EXPECT_TRUE(has(t.body, "Nguyên nhân: hết thời gian chờ\n"));
	EXPECT_TRUE(has(t.body, "Kết nối qua: Bộ định tuyến WAN\n"));
	EXPECT_TRUE(has(t.body, "Mất gói 100,0 % (0/20)"));
	EXPECT_TRUE(has(t.body, "\n-- \ntramon – giám sát mạng · Huyện Nam "
	    "Trà My\n"));
	EXPECT_TRUE(strstr(t.body, "Chi tiết") == NULL);	/* no base_url */
	alert_text_free(&t);
	return 0;
}

DEF_TEST(parent_names_its_children)
{
	int kids[] = { LINH, CANG };
	struct notice no = { .kind = NK_DOWN, .target = WAN, .at = t0,
		.since = t0, .children = kids, .nchildren = 2 };
	struct alert_text t;
	json_t *j;

	setup(LANG_EN);
	conf.base_url = "http://10.0.0.5/tramon";
	st[WAN].state = TS_DOWN;
	st[LINH].state = st[CANG].state = TS_UNREACHABLE;
	alert_compose(&conf, st, &no, &t);
	EXPECT_EQ_STR("[tramon] DOWN: Bộ định tuyến WAN (198.18.1.1) and 2 "
	    "behind it", t.subject);
	EXPECT_TRUE(has(t.body, "Cut off with it (2):\n"
	    "  - Xã Trà Linh (198.18.2.17)\n  - Xã Trà Cang (198.18.2.16)\n"));
	EXPECT_TRUE(has(t.body,
	    "Details: http://10.0.0.5/tramon/t/wan.html\n"));
	j = alert_webhook_json(&conf, st, &no, &t);
	EXPECT_EQ_STR("down", json_string_value(json_object_get(j, "event")));
	EXPECT_EQ_STR("wan", json_string_value(json_object_get(j, "target")));
	EXPECT_EQ_STR("down", json_string_value(json_object_get(j, "state")));
	EXPECT_EQ_INT(2, json_array_size(json_object_get(j, "children")));
	EXPECT_EQ_STR("tra-cang", json_string_value(json_array_get(
	    json_object_get(j, "children"), 1)));
	EXPECT_EQ_STR("http://10.0.0.5/tramon/t/wan.html",
	    json_string_value(json_object_get(j, "url")));
	EXPECT_EQ_STR(t.subject, json_string_value(json_object_get(j,
	    "subject")));
	EXPECT_TRUE(json_is_null(json_object_get(j, "instance")));
	json_decref(j);
	alert_text_free(&t);
	return 0;
}

DEF_TEST(up_with_duration)
{
	struct notice no = { .kind = NK_UP, .target = LINH,
		.at = t0 + 3 * 3600 + 25 * 60, .since = t0 };
	struct alert_text t;

	setup(LANG_VI);
	st[LINH].last_round = t0;
	st[LINH].last = (struct round_stats){ .sent = 20, .received = 19,
		.loss_pct = 5, .median = .2513 };
	alert_compose(&conf, st, &no, &t);
	EXPECT_EQ_STR("[tramon] ĐÃ KẾT NỐI LẠI: Xã Trà Linh (198.18.2.17) "
	    "(sau 3 giờ 25 phút)", t.subject);
	EXPECT_TRUE(has(t.body, "đã kết nối lại sau 3 giờ 25 phút mất kết "
	    "nối."));
	EXPECT_TRUE(has(t.body, "Mất kết nối từ: 26/11/2026 20:33\n"));
	EXPECT_TRUE(has(t.body, "Kéo dài: 3 giờ 25 phút\n"));
	EXPECT_TRUE(has(t.body, "Độ trễ 251,3 ms"));
	alert_text_free(&t);

	setup(LANG_EN);
	alert_compose(&conf, st, &no, &t);
	EXPECT_TRUE(has(t.subject, "UP AGAIN: Xã Trà Linh (198.18.2.17) "
	    "(after 3 h 25 min)"));
	alert_text_free(&t);
	return 0;
}

DEF_TEST(switch_port_and_reminder)
{
	struct notice no = { .kind = NK_PORT_DOWN, .target = SW, .at = t0,
		.since = t0, .instance = "Gi1/0/24",
		.why = "oper status down (admin up)" };
	struct alert_text t;

	setup(LANG_VI);
	alert_compose(&conf, st, &no, &t);
	EXPECT_EQ_STR("[tramon] CỔNG MẤT KẾT NỐI: Gi1/0/24 – Switch lõi UBND",
	    t.subject);
	EXPECT_TRUE(has(t.body, "Cổng Gi1/0/24 trên Switch lõi UBND (198.18."
	    "1.2) mất kết nối."));
	alert_text_free(&t);

	no = (struct notice){ .kind = NK_REMINDER, .target = LINH,
		.at = t0 + 7200, .since = t0 };
	setup(LANG_EN);
	st[LINH].state = TS_DOWN;
	alert_compose(&conf, st, &no, &t);
	EXPECT_TRUE(has(t.subject, "REMINDER – STILL DOWN"));
	EXPECT_TRUE(has(t.body, "is still down, for 2 h now."));
	EXPECT_TRUE(has(t.body, "tramonctl ack tra-linh\n"));
	alert_text_free(&t);
	return 0;
}

/* Every kind has its words in both languages. */
DEF_TEST(every_kind_composes)
{
	for (int lang = LANG_VI; lang <= LANG_EN; lang++)
		for (int k = 0; k < NK_COUNT; k++) {
			struct notice no = { .kind = (enum notice_kind)k,
				.target = SW, .at = t0, .since = t0 - 60,
				.instance = "Fa0/1" };
			struct alert_text t;

			setup(lang);
			alert_compose(&conf, st, &no, &t);
			EXPECT_TRUE(strstr(t.subject, "?") == NULL);
			EXPECT_TRUE(strstr(t.body, "%") == NULL);
			EXPECT_TRUE(strstr(t.body, "Switch lõi UBND") != NULL);
			alert_text_free(&t);
		}
	return 0;
}

/* The digest after the monitor was cut off: each notice with its time,
 * then what is still wrong, in both languages; and its webhook. */
DEF_TEST(digest_lists_what_happened)
{
	struct digest_line l[] = {
		{ t0 + 1205, "[tramon] ĐÃ KẾT NỐI LẠI: Bộ định tuyến WAN" },
		{ t0 + 65, "[tramon] MẤT KẾT NỐI: Bộ định tuyến WAN (198.18.1.1) "
		    "và 2 điểm phía sau" },
	};
	struct alert_text t;
	json_t *j, *ev = json_array();

	setup(LANG_VI);
	conf.base_url = "http://10.0.0.5/tramon";
	st[LINH].state = TS_DOWN;
	st[LINH].since = t0 + 1200;
	alert_digest(&conf, st, DIGEST_CUT, t0 + 60, t0 + 1200, l, 2, &t);
	EXPECT_EQ_STR("[tramon] TỔNG HỢP, GỬI MUỘN: 2 thông báo, 26/11/2026 "
	    "20:34 – 26/11/2026 20:53", t.subject);
	EXPECT_TRUE(has(t.body, "Máy giám sát bị mất đường ra mạng từ "
	    "26/11/2026 20:34 đến 26/11/2026 20:53 (19 phút)"));
	EXPECT_TRUE(has(t.body, "  26/11/2026 20:34:25  MẤT KẾT NỐI: Bộ định "
	    "tuyến WAN (198.18.1.1) và 2 điểm phía sau\n"));
	EXPECT_TRUE(has(t.body, "phía sau\n  26/11/2026 20:53:25  ĐÃ KẾT NỐI "
	    "LẠI"));	/* in time order */
	EXPECT_TRUE(has(t.body, "Hiện tại:\n  - Xã Trà Linh (198.18.2.17): "
	    "Mất kết nối (26/11/2026 20:53)\n"));
	EXPECT_TRUE(strstr(t.body, "Trà Cang") == NULL);
	EXPECT_TRUE(has(t.body, "Chi tiết: http://10.0.0.5/tramon/\n"));
	json_array_append_new(ev, json_pack("{s:s}", "event", "down"));
	j = alert_digest_webhook_json(&conf, DIGEST_CUT, t0 + 60, t0 + 1200, ev, &t);
	EXPECT_EQ_STR("digest", json_string_value(json_object_get(j,
	    "event")));
	EXPECT_TRUE(json_is_true(json_object_get(j, "late")));
	EXPECT_EQ_INT(1, (int)json_array_size(json_object_get(j, "events")));
	EXPECT_EQ_STR(t.subject, json_string_value(json_object_get(j,
	    "subject")));
	json_decref(j);
	alert_text_free(&t);

	setup(LANG_EN);
	alert_digest(&conf, st, DIGEST_CUT, t0 + 60, t0 + 1200, l, 2, &t);
	EXPECT_EQ_STR("[tramon] DIGEST, DELIVERED LATE: 2 notices, 2026-11-26 "
	    "20:34 – 2026-11-26 20:53", t.subject);
	EXPECT_TRUE(has(t.body, "Now:\n  All targets are up\n"));
	alert_text_free(&t);

	/* a storm's: not late, says why */
	alert_digest(&conf, st, DIGEST_STORM, t0 + 60, t0 + 180, l, 2, &t);
	EXPECT_EQ_STR("[tramon] DIGEST, MANY CHANGES AT ONCE: 2 notices, "
	    "2026-11-26 20:34 – 2026-11-26 20:36", t.subject);
	EXPECT_TRUE(has(t.body, "From 2026-11-26 20:34 to 2026-11-26 20:36 "
	    "(2 min) many things changed at once."));
	j = alert_digest_webhook_json(&conf, DIGEST_STORM, t0 + 60, t0 + 180,
	    json_array(), &t);
	EXPECT_EQ_STR("storm", json_string_value(json_object_get(j,
	    "reason")));
	EXPECT_TRUE(json_is_false(json_object_get(j, "late")));
	json_decref(j);
	alert_text_free(&t);
	setup(LANG_VI);
	alert_digest(&conf, st, DIGEST_STORM, t0 + 60, t0 + 180, l, 2, &t);
	EXPECT_EQ_STR("[tramon] TỔNG HỢP, NHIỀU THAY ĐỔI CÙNG LÚC: 2 thông "
	    "báo, 26/11/2026 20:34 – 26/11/2026 20:36", t.subject);
	alert_text_free(&t);
	return 0;
}

int
main(void)
{
	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	RUN_TEST(down_subject_as_spec);
	RUN_TEST(parent_names_its_children);
	RUN_TEST(up_with_duration);
	RUN_TEST(switch_port_and_reminder);
	RUN_TEST(every_kind_composes);
	RUN_TEST(digest_lists_what_happened);
	END_TEST;
}
