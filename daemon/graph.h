/*
 * Graphs of a target's RRD, drawn with librrd (rrd_graph_v) into PNG
 * files: a SmokePing-like latency graph, a loss/downtime graph and a
 * jitter graph for five ranges, and a small sparkline for the overview.  An instance with a
 * port's values (a switch port: in_octets ... oper_up, admin_up, see
 * daemon/store.h) gets a traffic and an errors graph for each range and
 * a 1-day traffic sparkline.
 *
 * The drawing is done by an `rrdtool -` child process (librrd 1.7.2
 * leaks memory in every rrd_graph_v call; see graph.c), or in-process
 * with rrd_graph_v when the rrdtool program is missing.  rrd_graph_v is
 * not safe to run concurrently on librrd 1.7 (pango and glib state):
 * every graph here is serialized by a mutex, and the web worker is the
 * only thread that draws.  Never call from the event loop (about 30 ms
 * per graph, and the calls block on the child).
 */
#ifndef TRAMON_GRAPH_H
#define TRAMON_GRAPH_H

#include <stddef.h>
#include <time.h>

enum graph_range { GR_3H, GR_1D, GR_7D, GR_30D, GR_1Y, GR_COUNT };
/* GK_JITTER only for targets that measure jitter (several answers a
 * round: ping, tcp); web.c decides which */
enum graph_kind { GK_LAT, GK_LOSS, GK_JITTER, GK_COUNT };
enum graph_pkind { GP_TRAFFIC, GP_ERRORS, GP_COUNT };	/* a port's */

struct graph_req {
	const char *rrd;          /* the target's (or port's) RRD file */
	const char *name;         /* the target's name, for titles; for a
	                           * port "switch · port" */
	int smoke;                /* the RRD has q05 ... q95 */
	int lang;                 /* LANG_VI | LANG_EN */
	time_t end;               /* right edge of the graphs */
};

/* "3h", "1d", "7d", "30d", "1y" */
const char *graph_range_name(enum graph_range);

/* Seconds the range covers. */
long graph_range_seconds(enum graph_range);

/* File names inside web_dir/g: "ID-lat-3h.png", "ID-loss-1y.png",
 * "ID-jitter-7d.png", "ID-spark.png".  `id` is made safe for a file name. */
void graph_file(const char *id, enum graph_kind, enum graph_range,
    char *buf, size_t len);
void graph_spark_file(const char *id, char *buf, size_t len);

/* "lat", "loss", "jitter": the kind's part of the file name. */
const char *graph_kind_name(enum graph_kind);

/* A port's, inside web_dir/g/ID: "PORT-traffic-1d.png",
 * "PORT-errors-1y.png", "PORT-spark.png".  `port` is made safe for a
 * file name (as daemon/store.c names its RRD). */
void graph_port_file(const char *port, enum graph_pkind, enum graph_range,
    char *buf, size_t len);
void graph_port_spark_file(const char *port, char *buf, size_t len);

/* Whether the graph of `range` in `path` is old enough to redraw at
 * `now` (3 h: always; 1 d: 5 min; 7 d: 30 min; 30 d: 2 h; 1 y: 12 h);
 * a missing file is always due. */
int graph_due(const char *path, enum graph_range, time_t now);

/* How overdue that graph is, in redraw periods: < 0 not due yet, 0 or
 * more due (the larger the longer ago it should have been redrawn),
 * INFINITY when the file is missing.  For drawing the most overdue
 * first when not all of them can be drawn at once. */
double graph_overdue(const char *path, enum graph_range, time_t now);

/* Draw one graph and replace `path` atomically.  0 ok, -1 (logged). */
int graph_render(const struct graph_req *, enum graph_kind,
    enum graph_range, const char *path);

/* The 3-hour sparkline (no axes, ~120 x 28). */
int graph_render_spark(const struct graph_req *, const char *path);

/* A port's graph (`rrd` is the port's), and its 1-day traffic
 * sparkline (~120 x 28).  Periods when the port was down are shaded. */
int graph_render_port(const struct graph_req *, enum graph_pkind,
    enum graph_range, const char *path);
int graph_render_port_spark(const struct graph_req *, const char *path);

/* A latency graph from `start` to g->end, w x h pixels, a label a day
 * (the monthly report's). */
int graph_render_span(const struct graph_req *, time_t start, int w, int h,
    const char *path);

/* Draw through an `rrdtool -` child (default, 1) or with rrd_graph_v in
 * this process (0; for tests, and used when rrdtool cannot be run). */
void graph_use_child(int on);

/* While `on`, every graph gives up at once (-1, not logged), the one
 * the rrdtool child is drawing too: the child is killed and its
 * temporary file removed, the graph's file stays as it was.  A graph
 * drawn in this process (rrd_graph_v) is finished first.  For
 * web_close(): a stop does not wait for a render.  Any thread. */
void graph_cancel(int on);

/* Stop the rrdtool child (web_close). */
void graph_close(void);

#endif /* TRAMON_GRAPH_H */
