/*
 * The message catalog: every word tramon shows a person (pages, and
 * later mails and reports), in Vietnamese and English.
 */
#ifndef TRAMON_I18N_H
#define TRAMON_I18N_H

#include <stddef.h>
#include <time.h>

#include "state.h"

enum msg {
	M_STATE_UNKNOWN,        /* state names, in TS_* order */
	M_STATE_UP,
	M_STATE_DEGRADED,
	M_STATE_DOWN,
	M_STATE_UNREACHABLE,
	M_STATE_MAINTENANCE,

	/* units of i18n_duration() */
	M_UNIT_DAY,
	M_UNIT_HOUR,
	M_UNIT_MIN,
	M_UNIT_SEC,

	/* pages: frame and navigation */
	M_APP_TITLE,            /* "Giám sát mạng" */
	M_OVERVIEW,
	M_EVENTS,
	M_RECENT_EVENTS,
	M_ALL_EVENTS,
	M_UPDATED_AT,
	M_RELOADS_EVERY,        /* followed by a duration */
	M_JSON_DATA,
	M_STALE,                /* followed by the time it was generated */
	M_STALE_WHY,

	/* overview */
	M_SUMMARY,
	M_ALL_UP,
	M_ATTENTION,
	M_NO_TARGETS,
	M_TOTAL,
	M_GROUP_OTHER,          /* targets without a group */

	/* column heads and facts */
	M_TARGET,
	M_STATE,
	M_HOST,
	M_TYPE,
	M_LATENCY,
	M_LATENCY_MEDIAN,
	M_LOSS,
	M_JITTER,
	M_SINCE,                /* column head "Since" */
	M_FOR,                  /* "for" before a duration */
	M_UPTIME_24H,
	M_UPTIME_7D,
	M_UPTIME_30D,
	M_LAST_ROUND,
	M_NO_DATA,
	M_REASON,
	M_PARENT,
	M_INTERVAL,
	M_MIN,
	M_AVG,
	M_MAX,
	M_PACKETS,
	M_GRAPHS,

	/* graph ranges, in graph.h's GR_* order */
	M_RANGE_3H,
	M_RANGE_1D,
	M_RANGE_7D,
	M_RANGE_30D,
	M_RANGE_1Y,

	/* events */
	M_TIME,
	M_CHANGE,
	M_NO_EVENTS,
	M_EVENTS_BY_MONTH,      /* the months' pages, a list follows */
	M_EVENTS_OF_MONTH,      /* "%s" the month */
	M_EV_START,
	M_EV_STOP,
	M_EV_CUT,               /* the monitor's own way out cut */
	M_EV_RECONNECTED,
	M_DAEMON,
	M_EV_REBOOT,            /* what probes report: "reboot" */
	M_EV_PORT_DOWN,         /* "port_down" */
	M_EV_PORT_UP,           /* "port_up" */

	/* a switch and its ports */
	M_RESPONSE_TIME,
	M_REQUESTS,
	M_DEVICE_UPTIME,        /* fact: time since the last restart */
	M_UPTIME_SHORT,         /* "chạy liên tục 12 ngày", overview */
	M_ANSWER,               /* a service's answer: "HTTP 200" */
	M_CERT,                 /* a TLS certificate */
	M_CERT_DAYS,            /* "%d days left" */
	M_CERT_EXPIRED,
	M_PHASES,               /* DNS, connect, TLS, first byte */
	M_RESTARTED_AT,         /* followed by a date */
	M_PORTS,
	M_PORTS_UP,             /* "24/26 cổng hoạt động" */
	M_PORTS_STALE,
	M_NO_PORTS,
	M_PORT,
	M_ALIAS,
	M_SPEED,
	M_TRAFFIC_IN,
	M_TRAFFIC_OUT,
	M_UTILISATION,
	M_ERRORS_PS,
	M_DISCARDS_PS,
	M_IN,
	M_OUT,
	M_PORT_ADMIN_DOWN,      /* a port state beside up and down */
	M_DEVICE,               /* the switch a port belongs to */
	M_PORT_OF,              /* "Cổng của" before the switch */

	/* graphs: titles and legends */
	M_G_LATENCY_GRAPH,
	M_G_LOSS_GRAPH,
	M_G_MINMAX,
	M_G_MEDIAN_BY_LOSS,
	M_G_NODATA,
	M_G_DOWNTIME,
	M_G_TRAFFIC_GRAPH,
	M_G_ERRORS_GRAPH,
	M_G_IN_PEAK,
	M_G_OUT_PEAK,
	M_G_IN_ERRORS,
	M_G_OUT_ERRORS,
	M_G_IN_DISCARDS,
	M_G_OUT_DISCARDS,
	M_G_PER_SECOND,         /* vertical label of the errors graph */
	M_G_JITTER_GRAPH,
	M_G_JITTER_AVG,
	M_G_JITTER_PEAK,

	/* alerts: subject prefixes, in notify.h's NK_* order */
	M_A_DOWN,
	M_A_UP,
	M_A_DEGRADED,
	M_A_NORMAL,
	M_A_REBOOT,
	M_A_PORT_DOWN,
	M_A_PORT_UP,
	M_A_FLAPPING,
	M_A_STABLE,
	M_A_REMINDER,
	M_A_MAINT_START,
	M_A_MAINT_END,
	M_A_CUT,
	M_A_RECONNECTED,
	M_A_DIGEST,
	M_A_STORM,
	/* alerts: the first sentence, "%s" = the target (and a port) */
	M_AS_DOWN,
	M_AS_UP,                /* then "%s" = a duration */
	M_AS_DEGRADED,
	M_AS_NORMAL,
	M_AS_REBOOT,
	M_AS_PORT_DOWN,         /* "%s" port, "%s" switch */
	M_AS_PORT_UP,
	M_AS_FLAPPING,
	M_AS_STABLE,            /* then "%s" = the state */
	M_AS_REMINDER,          /* then "%s" = a duration */
	M_AS_MAINT_START,
	M_AS_MAINT_END,
	M_AS_CUT,
	M_AS_RECONNECTED,
	M_AS_DIGEST,            /* "%s" from, "%s" to, "%s" duration */
	M_AS_STORM,             /* the same */
	M_A_DIGEST_N,           /* subject: "%d notices, %s - %s" */
	M_A_NOW,                /* "Now:" before what is still wrong */
	M_A_AND_BEHIND,         /* subject: "and %d behind it" */
	M_A_AFTER,              /* "after" before a duration */
	M_A_CUT_OFF,            /* "Cut off with it (%d):" */
	M_A_GROUP,
	M_A_DOWN_SINCE,
	M_A_DURATION,
	M_A_LAST_ROUND,
	M_A_LATE,               /* the event happened earlier */
	M_A_PAGE,               /* "Details" before the link */
	M_A_ACK_HINT,           /* how to stop reminders */
	M_A_FOOTER,             /* "tramon, network monitoring of" */

	/* meetings: the page, the readiness mail, tramonctl */
	M_MEETINGS,             /* navigation and page title */
	M_MT_SITE,              /* column heads */
	M_MT_VERDICT,
	M_MT_ANSWER,            /* what a sip/http endpoint answered */
	M_MT_READY,             /* verdicts, in meeting.h's MV_* order */
	M_MT_AT_RISK,
	M_MT_NOT_REACHABLE,
	M_MT_SCHEDULE,
	M_MT_WEEKLY,            /* "%s" weekday, "%s" HH:MM */
	M_MT_NEXT,              /* the next meeting starts */
	M_MT_CHECK_AT,          /* its readiness check begins */
	M_MT_NO_MORE,           /* a one-off meeting in the past */
	M_MT_LAST,              /* heading of the last check's table */
	M_MT_NOT_CHECKED,
	M_MT_CHECKING,
	M_MT_NONE,              /* no meetings configured */
	M_MT_THRESHOLDS,        /* then loss, rtt, jitter limits */
	M_MT_LIMITS,            /* "%s" loss %, "%s" rtt ms, "%s" jitter ms */
	M_MT_MEASURED,          /* "%s" duration, "%s" from, "%s" to */
	M_MT_ASKED,             /* a check asked for with tramonctl */
	M_MT_READY_N,           /* "%d/%d điểm sẵn sàng" */
	M_A_MEETING,            /* subject prefix */
	M_A_MEETING_N,          /* "%s" name, "%s" HH:MM, "%d" ready, "%d" all */
	M_AS_MEETING,           /* "%s" name, "%s" start, "%d" ready, "%d" all */
	M_WDAY_SUN,             /* weekdays, sunday first (struct tm) */
	M_WDAY_MON,
	M_WDAY_TUE,
	M_WDAY_WED,
	M_WDAY_THU,
	M_WDAY_FRI,
	M_WDAY_SAT,
	/* monthly reports (report_fmt.c) */
	M_R_TITLE,              /* "Báo cáo mức độ sẵn sàng của mạng" */
	M_R_MONTH,              /* "Tháng" before "03/2026" */
	M_R_PERIOD,
	M_R_SO_FAR,             /* this month, until now */
	M_R_TIMEZONE,
	M_R_GENERATED,
	M_R_SUMMARY,            /* the table of targets */
	M_R_AVAILABILITY,
	M_R_MONITORED,
	M_R_UP,                 /* the time up, in the month's bar */
	M_R_MAINTENANCE,
	M_R_DOWN,
	M_R_UNREACHABLE,
	M_R_NODATA,
	M_R_OUTAGES_N,          /* number of outages */
	M_R_LONGEST,
	M_R_MTTR,
	M_R_LATENCY,
	M_R_LOSS,
	M_R_GROUP,
	M_R_GROUP_TOTAL,
	M_R_GROUPS,             /* the table of groups */
	M_R_OUTAGE_LIST,
	M_R_NO_OUTAGES,
	M_R_START,
	M_R_END,
	M_R_DURATION,
	M_R_COUNTED,            /* time counted as an outage */
	M_R_KIND,
	M_R_VIA,                /* "qua" before the parent */
	M_R_ACKED,
	M_R_YES,
	M_R_NO,
	M_R_HINT,
	M_R_HINT_REBOOT,        /* "%s" = who restarted */
	M_R_HINT_PORT,          /* "%s" port, "%s" switch */
	M_R_CONTINUED,          /* began in the month before */
	M_R_ONGOING,            /* still going at the end */
	M_R_CUT,                /* the monitor was cut off: no data */
	M_R_PART_NODATA,        /* "%s" of it without data */
	M_R_PART_MAINT,         /* "%s" of it in maintenance */
	M_R_NOTE,
	M_R_BELOW_SLA,          /* "%s" = the SLA in percent */
	M_R_LEGEND,             /* how availability is computed */
	M_R_ID,
	M_R_NAME,
	M_R_TARGETS,            /* number of targets in a group */
	M_R_SECONDS,            /* "(s)" in CSV column heads */
	M_R_MAIL_SUBJECT,       /* "%s" month, "%s" district */
	M_R_MAIL_ALL_MET,       /* "%s" the SLA */
	M_R_MAIL_BELOW,         /* "%s" the SLA; a list follows */
	M_R_MAIL_ATTACHED,
	M_R_MAIL_ONLINE,        /* a URL follows */
	M_R_OUTAGES_LONGEST,    /* "%u" outages, "%s" the longest */
	M_REPORTS,              /* navigation and page title */
	M_REPORTS_NONE,
	M_REPORTS_HOW,          /* when they are built */
	M_REPORTS_MONTH,
	M_REPORTS_FILES,

	M_COUNT
};

/* Text of `m` in `lang` (LANG_VI | LANG_EN); never NULL. */
const char *i18n(int lang, int m);

/* Name of a state in `lang`. */
const char *i18n_state(int lang, enum tstate);

/* "vi" or "en", for <html lang>. */
const char *i18n_code(int lang);

/* Date and time for people: "26/11/2026 21:36" (vi) or
 * "2026-11-26 21:36" (en), local time. */
void i18n_datetime(int lang, time_t, char *buf, size_t len);
/* The same to the second: "26/11/2026 21:36:05". */
void i18n_datetime_sec(int lang, time_t, char *buf, size_t len);

/* A number with the language's decimal separator ("1,5" vs "1.5");
 * "–" when it is not finite. */
void i18n_number(int lang, double v, int decimals, char *buf, size_t len);

/* A duration: "3 ngày 4 giờ" / "3 d 4 h", "12 phút" / "12 min". */
void i18n_duration(int lang, long seconds, char *buf, size_t len);

/* A reason from the journal ("timeout", "loss 12.5% > 5.0%", "oper status
 * down (admin up)") for people: translated where it is a known phrase,
 * shown as it is otherwise. */
void i18n_reason(int lang, const char *why, char *buf, size_t len);

#endif /* TRAMON_I18N_H */
