/*
 * Meeting readiness: when the checks come (weekly in the configured
 * zone across DST changes, one-off), how sites are judged, and what the
 * readiness summary says (Vietnamese and English).
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "alert.h"
#include "conf.h"
#include "meeting.h"
#include "test.h"

static void
tz(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}

/* A UTC time, for expectations. */
static time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi };

	return timegm(&tm);
}

static struct meeting_def
weekly(int wday, int hh, int mm, int check_before)
{
	struct meeting_def m = { .name = "Giao ban tuần", .weekly = 1,
	    .wday = wday, .start_min = hh * 60 + mm,
	    .check_before = check_before, .duration = 3,
	    .max = { 2, 300, 30 } };

	return m;
}

DEF_TEST(weekly_ho_chi_minh)
{
	struct meeting_def m = weekly(1, 7, 30, 30);	/* mon 07:30 */
	time_t s;

	tz("Asia/Ho_Chi_Minh");
	/* Sunday 2026-11-08 12:00 +07: the next day, 07:30 +07 */
	s = meeting_next_start(&m, utc(2026, 11, 8, 5, 0));
	EXPECT_EQ_INT(utc(2026, 11, 9, 0, 30), s);
	/* the check: 30 minutes before */
	EXPECT_EQ_INT(utc(2026, 11, 9, 0, 0), s - m.check_before * 60);
	/* on the Monday, before the start: that day */
	EXPECT_EQ_INT(utc(2026, 11, 9, 0, 30),
	    meeting_next_start(&m, utc(2026, 11, 9, 0, 10)));
	/* exactly at the start, and after it: the next week */
	EXPECT_EQ_INT(utc(2026, 11, 16, 0, 30),
	    meeting_next_start(&m, utc(2026, 11, 9, 0, 30)));
	EXPECT_EQ_INT(utc(2026, 11, 16, 0, 30),
	    meeting_next_start(&m, utc(2026, 11, 9, 3, 0)));
	/* local Monday is Sunday in UTC: 2026-11-08 23:00 UTC is already
	 * Monday 06:00 +07 */
	EXPECT_EQ_INT(utc(2026, 11, 9, 0, 30),
	    meeting_next_start(&m, utc(2026, 11, 8, 23, 0)));
	return 0;
}

DEF_TEST(weekly_berlin_dst)
{
	struct meeting_def m = weekly(1, 7, 30, 30);	/* mon 07:30 */
	struct meeting_def sun = weekly(0, 3, 30, 120);	/* sun 03:30 */
	time_t a, b;

	tz("Europe/Berlin");
	/* spring forward on Sunday 2026-03-29: 07:30 CET (+1) on the
	 * 23rd, 07:30 CEST (+2) on the 30th: a week minus an hour apart */
	a = meeting_next_start(&m, utc(2026, 3, 22, 12, 0));
	EXPECT_EQ_INT(utc(2026, 3, 23, 6, 30), a);
	b = meeting_next_start(&m, a);
	EXPECT_EQ_INT(utc(2026, 3, 30, 5, 30), b);
	EXPECT_EQ_INT(7 * 86400 - 3600, b - a);
	/* fall back on Sunday 2026-10-25: a week plus an hour */
	a = meeting_next_start(&m, utc(2026, 10, 18, 12, 0));
	EXPECT_EQ_INT(utc(2026, 10, 19, 5, 30), a);
	b = meeting_next_start(&m, a);
	EXPECT_EQ_INT(utc(2026, 10, 26, 6, 30), b);
	EXPECT_EQ_INT(7 * 86400 + 3600, b - a);
	/* the check 2 h before a 03:30 meeting on the night of the change
	 * is 2 real hours before: 01:30 UTC - 2 h = 23:30 UTC, which was
	 * 00:30 CET */
	a = meeting_next_start(&sun, utc(2026, 3, 28, 12, 0));
	EXPECT_EQ_INT(utc(2026, 3, 29, 1, 30), a);
	EXPECT_EQ_INT(utc(2026, 3, 28, 23, 30), a - sun.check_before * 60);
	return 0;
}

DEF_TEST(one_off)
{
	struct meeting_def m = { .name = "Hội nghị tỉnh", .weekly = 0,
	    .check_before = 15, .duration = 3, .max = { 2, 300, 30 } };

	tz("Asia/Ho_Chi_Minh");
	m.from = utc(2026, 12, 5, 7, 0);	/* 14:00 +07 */
	EXPECT_EQ_INT(m.from, meeting_next_start(&m, utc(2026, 12, 1, 0, 0)));
	EXPECT_EQ_INT(m.from, meeting_next_start(&m, m.from - 60));
	/* begun or past: none ahead */
	EXPECT_EQ_INT(0, meeting_next_start(&m, m.from));
	EXPECT_EQ_INT(0, meeting_next_start(&m, m.from + 86400));
	return 0;
}

static struct round_stats
rs(unsigned sent, unsigned received, double median_ms, double jitter_ms)
{
	struct round_stats r = { .sent = sent, .received = received };

	r.loss_pct = sent ? 100.0 * (sent - received) / sent : NAN;
	r.median = received ? median_ms / 1e3 : NAN;
	r.jitter = received > 1 ? jitter_ms / 1e3 : NAN;
	return r;
}

DEF_TEST(verdicts)
{
	struct meeting_def m = weekly(1, 7, 30, 30);
	struct round_stats r;

	r = rs(200, 200, 25, 3);
	EXPECT_EQ_INT(MV_READY, meeting_verdict(&m, &r, TS_UP));
	/* on the limits is still ready */
	r = rs(100, 98, 300, 30);
	EXPECT_EQ_INT(MV_READY, meeting_verdict(&m, &r, TS_UP));
	/* a degraded target within the meeting's limits is ready */
	EXPECT_EQ_INT(MV_READY, meeting_verdict(&m, &r, TS_DEGRADED));
	/* over any one limit: at risk */
	r = rs(100, 97, 25, 3);
	EXPECT_EQ_INT(MV_AT_RISK, meeting_verdict(&m, &r, TS_UP));
	r = rs(100, 100, 301, 3);
	EXPECT_EQ_INT(MV_AT_RISK, meeting_verdict(&m, &r, TS_UP));
	r = rs(100, 100, 250, 38);
	EXPECT_EQ_INT(MV_AT_RISK, meeting_verdict(&m, &r, TS_UP));
	/* Trà Linh on 3G: 250 ms, 5 % loss */
	r = rs(360, 342, 250, 20);
	EXPECT_EQ_INT(MV_AT_RISK, meeting_verdict(&m, &r, TS_UP));
	/* one answer: no jitter to judge, the rest is fine */
	r = rs(1, 1, 40, 0);
	EXPECT_EQ_INT(MV_READY, meeting_verdict(&m, &r, TS_UP));
	/* nothing answered, or the target is down or unreachable */
	r = rs(200, 0, 0, 0);
	EXPECT_EQ_INT(MV_NOT_REACHABLE, meeting_verdict(&m, &r, TS_UP));
	r = rs(200, 200, 25, 3);
	EXPECT_EQ_INT(MV_NOT_REACHABLE, meeting_verdict(&m, &r, TS_DOWN));
	EXPECT_EQ_INT(MV_NOT_REACHABLE,
	    meeting_verdict(&m, &r, TS_UNREACHABLE));
	/* a threshold of 0 is not checked */
	m.max.loss_pct = 0;
	r = rs(100, 50, 25, 3);
	EXPECT_EQ_INT(MV_READY, meeting_verdict(&m, &r, TS_UP));
	EXPECT_EQ_STR("not_reachable", meeting_verdict_name(MV_NOT_REACHABLE));
	EXPECT_EQ_INT(MV_AT_RISK, meeting_verdict_parse("at_risk"));
	EXPECT_EQ_INT(-1, meeting_verdict_parse("maybe"));
	return 0;
}

static const char event[] = "{\"event\": \"meeting\", "
    "\"name\": \"Giao ban tuần\", "
    "\"start\": \"2026-11-09T07:30:00+07:00\", "
    "\"checked\": \"2026-11-09T07:00:00+07:00\", "
    "\"until\": \"2026-11-09T07:03:00+07:00\", \"manual\": false, "
    "\"ready\": 1, \"total\": 3, "
    "\"thresholds\": {\"loss_pct\": 2.0, \"rtt_ms\": 300.0, "
    "\"jitter_ms\": 30.0}, \"sites\": ["
    "{\"target\": \"tra-nam\", \"name\": \"Xã Trà Nam\", "
    "\"verdict\": \"not_reachable\", \"rtt\": null, \"loss\": 100.0, "
    "\"jitter\": null, \"sent\": 360, \"received\": 0, \"status\": null, "
    "\"reason\": \"timeout\"}, "
    "{\"target\": \"tra-linh\", \"name\": \"Xã Trà Linh\", "
    "\"verdict\": \"at_risk\", \"rtt\": 251.4, \"loss\": 5.3, "
    "\"jitter\": 38.2, \"sent\": 360, \"received\": 341, \"status\": null}, "
    "{\"target\": \"huyen-uy-sip\", \"name\": \"Huyện ủy – SIP\", "
    "\"verdict\": \"ready\", \"rtt\": 1.2, \"loss\": 0.0, "
    "\"jitter\": 0.3, \"sent\": 18, \"received\": 18, \"status\": 200}]}";

DEF_TEST(summary_vi)
{
	struct conf c = { .name = "Huyện Nam Trà My", .language = LANG_VI,
	    .base_url = "http://10.0.0.5/tramon/" };
	json_t *ev = json_loads(event, 0, NULL), *hook;
	struct alert_text t;

	tz("Asia/Ho_Chi_Minh");
	EXPECT_TRUE(ev != NULL);
	alert_meeting(&c, ev, &t);
	EXPECT_EQ_STR("[tramon] SẴN SÀNG HỌP: Giao ban tuần 07:30 – 1/3 điểm "
	    "sẵn sàng", t.subject);
	EXPECT_CONTAINS(t.body, "Kiểm tra trước cuộc họp \"Giao ban tuần\" "
	    "(Thứ Hai 09/11/2026 07:30): 1/3 điểm cầu sẵn sàng.");
	EXPECT_CONTAINS(t.body, "Xã Trà Nam      Không kết nối được  –         100 %");
	EXPECT_CONTAINS(t.body, "hết thời gian chờ");
	EXPECT_CONTAINS(t.body, "Xã Trà Linh     Có nguy cơ          251 ms");
	EXPECT_CONTAINS(t.body, "5,3 %");
	EXPECT_CONTAINS(t.body, "38,2 ms");
	EXPECT_CONTAINS(t.body, "Sẵn sàng            1,2 ms");
	EXPECT_CONTAINS(t.body, "200\n");
	/* not ready first, as the event has them */
	EXPECT_TRUE(strstr(t.body, "Trà Nam") < strstr(t.body, "Trà Linh"));
	EXPECT_TRUE(strstr(t.body, "Trà Linh") < strstr(t.body, "SIP"));
	EXPECT_CONTAINS(t.body, "Ngưỡng: mất gói ≤ 2 %, độ trễ ≤ 300 ms, "
	    "jitter ≤ 30 ms\n");
	EXPECT_CONTAINS(t.body, "Đo trong 3 phút, từ 09/11/2026 07:00 đến "
	    "09/11/2026 07:03.");
	EXPECT_CONTAINS(t.body, "Chi tiết: http://10.0.0.5/tramon/"
	    "meetings.html");
	hook = alert_meeting_webhook_json(&c, ev, &t);
	EXPECT_EQ_STR("meeting", json_string_value(json_object_get(hook,
	    "event")));
	EXPECT_EQ_STR("Giao ban tuần", json_string_value(json_object_get(
	    hook, "name")));
	EXPECT_EQ_INT(3, json_array_size(json_object_get(hook, "sites")));
	EXPECT_EQ_STR("http://10.0.0.5/tramon/meetings.html",
	    json_string_value(json_object_get(hook, "url")));
	EXPECT_EQ_STR(t.subject, json_string_value(json_object_get(hook,
	    "subject")));
	json_decref(hook);
	alert_text_free(&t);
	json_decref(ev);
	return 0;
}

DEF_TEST(summary_en)
{
	struct conf c = { .name = "Nam Tra My", .language = LANG_EN,
	    .base_url = "" };
	json_t *ev = json_loads(event, 0, NULL);
	struct alert_text t;

	tz("Asia/Ho_Chi_Minh");
	alert_meeting(&c, ev, &t);
	EXPECT_EQ_STR("[tramon] MEETING READINESS: Giao ban tuần at 07:30 – "
	    "1 of 3 sites ready", t.subject);
	EXPECT_CONTAINS(t.body, "(Monday 2026-11-09 07:30): 1 of 3 sites "
	    "ready.");
	EXPECT_CONTAINS(t.body, "Not reachable");
	EXPECT_CONTAINS(t.body, "At risk");
	EXPECT_CONTAINS(t.body, "5.3 %");
	EXPECT_CONTAINS(t.body, "Thresholds: loss ≤ 2 %, rtt ≤ 300 ms, "
	    "jitter ≤ 30 ms\n");
	EXPECT_TRUE(strstr(t.body, "meetings.html") == NULL);
	alert_text_free(&t);
	json_decref(ev);
	return 0;
}

int
main(void)
{
	RUN_TEST(weekly_ho_chi_minh);
	RUN_TEST(weekly_berlin_dst);
	RUN_TEST(one_off);
	RUN_TEST(verdicts);
	RUN_TEST(summary_vi);
	RUN_TEST(summary_en);
	END_TEST;
}
