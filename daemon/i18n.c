#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "i18n.h"

/*
 * { Vietnamese, English }, indexed by enum msg.  Vietnamese is written
 * in precomposed (NFC) UTF-8, as people type it.
 */
static const char *const catalog[M_COUNT][2] = {
	[M_STATE_UNKNOWN] =	{ "Chưa rõ", "Unknown" },
	[M_STATE_UP] =		{ "Hoạt động", "Up" },
	[M_STATE_DEGRADED] =	{ "Suy giảm", "Degraded" },
	[M_STATE_DOWN] =	{ "Mất kết nối", "Down" },
	[M_STATE_UNREACHABLE] =	{ "Không truy cập được", "Unreachable" },
	[M_STATE_MAINTENANCE] =	{ "Bảo trì", "Maintenance" },

	[M_UNIT_DAY] =		{ "ngày", "d" },
	[M_UNIT_HOUR] =		{ "giờ", "h" },
	[M_UNIT_MIN] =		{ "phút", "min" },
	[M_UNIT_SEC] =		{ "giây", "s" },

	[M_APP_TITLE] =		{ "Giám sát mạng", "Network monitoring" },
	[M_OVERVIEW] =		{ "Tổng quan", "Overview" },
	[M_EVENTS] =		{ "Sự kiện", "Events" },
	[M_RECENT_EVENTS] =	{ "Sự kiện gần đây", "Recent events" },
	[M_ALL_EVENTS] =	{ "Xem tất cả sự kiện", "All events" },
	[M_UPDATED_AT] =	{ "Cập nhật lúc", "Updated at" },
	[M_RELOADS_EVERY] =	{ "Trang tự tải lại sau mỗi",
				  "This page reloads every" },
	[M_JSON_DATA] =		{ "Dữ liệu JSON", "JSON data" },

	[M_SUMMARY] =		{ "Tình trạng chung", "Summary" },
	[M_ALL_UP] =		{ "Tất cả điểm giám sát đều hoạt động bình thường",
				  "All targets are up" },
	[M_ATTENTION] =		{ "Cần chú ý", "Needs attention" },
	[M_NO_TARGETS] =	{ "Chưa có điểm giám sát nào được cấu hình",
				  "No targets are configured" },
	[M_TOTAL] =		{ "Tổng số", "Total" },
	[M_GROUP_OTHER] =	{ "Khác", "Other" },

	[M_TARGET] =		{ "Điểm giám sát", "Target" },
	[M_STATE] =		{ "Trạng thái", "State" },
	[M_HOST] =		{ "Địa chỉ", "Address" },
	[M_TYPE] =		{ "Kiểu kiểm tra", "Check" },
	[M_LATENCY] =		{ "Độ trễ", "Latency" },
	[M_LATENCY_MEDIAN] =	{ "Độ trễ (trung vị)", "Latency (median)" },
	[M_LOSS] =		{ "Mất gói", "Packet loss" },
	[M_JITTER] =		{ "Độ dao động (jitter)", "Jitter" },
	[M_SINCE] =		{ "Từ lúc", "Since" },
	[M_FOR] =		{ "đã", "for" },
	[M_UPTIME_24H] =	{ "Sẵn sàng 24 giờ", "Uptime 24 h" },
	[M_UPTIME_30D] =	{ "Sẵn sàng 30 ngày", "Uptime 30 d" },
	[M_LAST_ROUND] =	{ "Lần đo gần nhất", "Last measured" },
	[M_NO_DATA] =		{ "Chưa có dữ liệu", "No data yet" },
	[M_REASON] =		{ "Nguyên nhân", "Reason" },
	[M_PARENT] =		{ "Kết nối qua", "Reached through" },
	[M_INTERVAL] =		{ "Chu kỳ đo", "Check interval" },
	[M_MIN] =		{ "Nhỏ nhất", "Minimum" },
	[M_AVG] =		{ "Trung bình", "Average" },
	[M_MAX] =		{ "Lớn nhất", "Maximum" },
	[M_PACKETS] =		{ "Gói nhận được / đã gửi",
				  "Packets received / sent" },
	[M_GRAPHS] =		{ "Biểu đồ", "Graphs" },

	[M_RANGE_3H] =		{ "3 giờ qua", "Last 3 hours" },
	[M_RANGE_1D] =		{ "24 giờ qua", "Last 24 hours" },
	[M_RANGE_7D] =		{ "7 ngày qua", "Last 7 days" },
	[M_RANGE_30D] =		{ "30 ngày qua", "Last 30 days" },
	[M_RANGE_1Y] =		{ "12 tháng qua", "Last 12 months" },

	[M_TIME] =		{ "Thời gian", "Time" },
	[M_CHANGE] =		{ "Thay đổi", "Change" },
	[M_NO_EVENTS] =		{ "Chưa có sự kiện nào", "No events yet" },
	[M_EV_START] =		{ "Bắt đầu giám sát (tramond khởi động)",
				  "Monitoring started (tramond)" },
	[M_EV_STOP] =		{ "Ngừng giám sát (tramond dừng)",
				  "Monitoring stopped (tramond)" },
	[M_DAEMON] =		{ "Hệ thống giám sát", "Monitoring system" },

	[M_G_LATENCY_GRAPH] =	{ "Độ trễ", "Latency" },
	[M_G_LOSS_GRAPH] =	{ "Mất gói và mất kết nối", "Packet loss and downtime" },
	[M_G_MINMAX] =		{ "nhỏ nhất – lớn nhất", "min – max" },
	[M_G_MEDIAN_BY_LOSS] =	{ "Trung vị (màu theo tỷ lệ mất gói)",
				  "Median (colour by packet loss)" },
	[M_G_NODATA] =		{ "Không có dữ liệu", "No data" },
	[M_G_DOWNTIME] =	{ "Thời gian mất kết nối", "Time down" },
};

const char *
i18n(int lang, int m)
{
	const char *s;

	if (m < 0 || m >= M_COUNT)
		return "?";
	s = catalog[m][lang == LANG_EN ? 1 : 0];
	if (s == NULL)		/* a hole in the table: fall back to English */
		s = catalog[m][1];
	return s ? s : "?";
}

const char *
i18n_state(int lang, enum tstate s)
{
	if (s < 0 || s >= TS_COUNT)
		s = TS_UNKNOWN;
	return i18n(lang, M_STATE_UNKNOWN + (int)s);
}

const char *
i18n_code(int lang)
{
	return lang == LANG_EN ? "en" : "vi";
}

void
i18n_datetime(int lang, time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (len == 0)
		return;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, lang == LANG_EN ? "%Y-%m-%d %H:%M" :
	    "%d/%m/%Y %H:%M", &tm) == 0)
		buf[0] = '\0';
}

void
i18n_number(int lang, double v, int decimals, char *buf, size_t len)
{
	char *dot;

	if (len == 0)
		return;
	if (!isfinite(v)) {
		snprintf(buf, len, "–");
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 6)
		decimals = 6;
	/* never print "-0" for a value that rounds to zero */
	if (fabs(v) < 0.5 * pow(10, -decimals))
		v = 0;
	snprintf(buf, len, "%.*f", decimals, v);
	if (lang != LANG_EN && (dot = strchr(buf, '.')) != NULL)
		*dot = ',';
}

/* The two largest units are enough for people: "3 ngày 4 giờ". */
void
i18n_duration(int lang, long s, char *buf, size_t len)
{
	long d, h, m;

	if (len == 0)
		return;
	if (s < 0)
		s = 0;
	d = s / 86400;
	h = s % 86400 / 3600;
	m = s % 3600 / 60;
	if (d > 0 && h > 0)
		snprintf(buf, len, "%ld %s %ld %s", d, i18n(lang, M_UNIT_DAY),
		    h, i18n(lang, M_UNIT_HOUR));
	else if (d > 0)
		snprintf(buf, len, "%ld %s", d, i18n(lang, M_UNIT_DAY));
	else if (h > 0 && m > 0)
		snprintf(buf, len, "%ld %s %ld %s", h, i18n(lang, M_UNIT_HOUR),
		    m, i18n(lang, M_UNIT_MIN));
	else if (h > 0)
		snprintf(buf, len, "%ld %s", h, i18n(lang, M_UNIT_HOUR));
	else if (m > 0)
		snprintf(buf, len, "%ld %s", m, i18n(lang, M_UNIT_MIN));
	else
		snprintf(buf, len, "%ld %s", s, i18n(lang, M_UNIT_SEC));
}

/*
 * Reasons come from the state machine and the probes in English, which
 * is what the journal keeps; people read them in their language.  Known
 * phrases are translated, numbers get the language's decimal mark, and
 * anything else (an unusual error text) is shown as it is.
 */
void
i18n_reason(int lang, const char *why, char *buf, size_t len)
{
	static const struct {
		const char *en, *vi;
	} phrases[] = {
		{ "timeout", "hết thời gian chờ" },
		{ "no answer", "không trả lời" },
		{ "connection refused", "bị từ chối kết nối" },
		{ "network unreachable", "không có đường tới mạng" },
		{ "host unreachable", "không tới được máy" },
		{ "connection reset", "kết nối bị ngắt" },
	};
	static const struct {
		const char *fmt;        /* sscanf: two numbers */
		const char *what[2];    /* vi, en */
		const char *unit;
		int decimals;
	} limits[] = {
		{ "loss %lf%% > %lf%%", { "mất gói", "loss" }, "%", 1 },
		{ "rtt %lf ms > %lf ms", { "độ trễ", "rtt" }, " ms", 1 },
		{ "jitter %lf ms > %lf ms", { "jitter", "jitter" }, " ms", 1 },
	};
	int vi = lang != LANG_EN;
	char a[32], b[32];
	double x, y;

	if (len == 0)
		return;
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (strcmp(why, phrases[i].en) == 0) {
			snprintf(buf, len, "%s", vi ? phrases[i].vi : why);
			return;
		}
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (sscanf(why, limits[i].fmt, &x, &y) == 2) {
			i18n_number(lang, x, limits[i].decimals, a, sizeof(a));
			i18n_number(lang, y, limits[i].decimals, b, sizeof(b));
			snprintf(buf, len, "%s %s%s > %s%s",
			    limits[i].what[vi ? 0 : 1], a, limits[i].unit, b,
			    limits[i].unit);
			return;
		}
	if (vi && strncmp(why, "cannot resolve ", 15) == 0) {
		snprintf(buf, len, "không phân giải được tên %s", why + 15);
		return;
	}
	snprintf(buf, len, "%s", why);
}
