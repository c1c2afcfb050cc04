/*
 * The SNMPv2-MIB system group and the IF-MIB interface tables as the snmp
 * probe reads them: numeric OIDs (no MIB files are loaded), the checks a
 * walked value must pass before it is believed, the counter arithmetic
 * and the interface selection.  Pure functions: no I/O, no clock, no
 * global state, so that tests/unit/ifmib_test.c can drive every case.
 *
 * Include <net-snmp/net-snmp-config.h> and <net-snmp/net-snmp-includes.h>
 * first (for oid and netsnmp_variable_list).
 */
#ifndef TRAMON_IFMIB_H
#define TRAMON_IFMIB_H

#include <stddef.h>
#include <stdint.h>

/* sysDescr.0, sysObjectID.0, sysUpTime.0, sysName.0 */
#define IFM_SYS_LEN 9
extern const oid ifm_sys_descr[IFM_SYS_LEN];
extern const oid ifm_sys_object_id[IFM_SYS_LEN];
extern const oid ifm_sys_uptime[IFM_SYS_LEN];
extern const oid ifm_sys_name[IFM_SYS_LEN];

/* The walked columns: ifTable first, then ifXTable. */
enum ifm_col {
	IFC_DESCR,		/* ifTable 1.3.6.1.2.1.2.2.1.x */
	IFC_SPEED,
	IFC_ADMIN,
	IFC_OPER,
	IFC_IN_OCTETS,
	IFC_IN_DISCARDS,
	IFC_IN_ERRORS,
	IFC_OUT_OCTETS,
	IFC_OUT_DISCARDS,
	IFC_OUT_ERRORS,
	IFC_NAME,		/* ifXTable 1.3.6.1.2.1.31.1.1.1.x */
	IFC_HC_IN_OCTETS,
	IFC_HC_OUT_OCTETS,
	IFC_HIGH_SPEED,
	IFC_ALIAS,
	IFC_DISC_TIME,		/* ifCounterDiscontinuityTime */
	IFC_COUNT
};
#define IFC_FIRST_X	IFC_NAME	/* the first ifXTable column */

struct ifm_column {
	const char *name;	/* "ifHCInOctets" */
	oid oid[11];
	size_t len;
	unsigned char type;	/* the ASN.1 type the MIB gives it */
};
extern const struct ifm_column ifm_columns[IFC_COUNT];

/* The counters, in the order of the reported values. */
enum ifm_ctr {
	IFM_IN_OCTETS,
	IFM_OUT_OCTETS,
	IFM_IN_ERRORS,
	IFM_OUT_ERRORS,
	IFM_IN_DISCARDS,
	IFM_OUT_DISCARDS,
	IFM_NCTR
};

/* The values of an instance (tm_probe_ops.ivalues order). */
enum ifm_value {
	IFV_IN_OCTETS,
	IFV_OUT_OCTETS,
	IFV_IN_ERRORS,
	IFV_OUT_ERRORS,
	IFV_IN_DISCARDS,
	IFV_OUT_DISCARDS,
	IFV_OPER_UP,
	IFV_ADMIN_UP,
	IFV_SPEED,
	IFM_NVALUES
};

#define IFM_NAME_MAX	64	/* bytes of a port name we keep */
#define IFM_TEXT_MAX	255	/* of ifDescr and ifAlias */

/* One interface as this round's walk found it. */
struct ifm_row {
	uint32_t index;		/* ifIndex */
	uint32_t have;		/* 1 << enum ifm_col for each value got */
	char *descr, *name, *alias;	/* cleaned UTF-8, or NULL */
	long admin, oper;	/* ifAdminStatus, ifOperStatus */
	uint32_t speed, high_speed, disc_time;
	uint32_t c32[IFM_NCTR];	/* ifTable counters */
	uint64_t hc_in, hc_out;	/* ifHCInOctets, ifHCOutOctets */
};

/* This round's rows, sorted by ifIndex. */
struct ifm_table {
	struct ifm_row *rows;
	size_t n, cap;
};

/* Store a walked value of column `col` for the row `index` (the OID's
 * part after the column).  0 = kept; -1 = dropped: a wrong type, a bad
 * index (not exactly one sub-identifier in 1..2147483647), a second
 * value for the same cell, or no memory.  `max_rows` bounds the table
 * (-2 when a new row would pass it). */
int ifm_table_put(struct ifm_table *, enum ifm_col col, const oid *index,
    size_t index_len, const netsnmp_variable_list *vb, size_t max_rows);
void ifm_table_free(struct ifm_table *);

/* An agent's string (not NUL-terminated, any bytes) made into valid,
 * printable UTF-8 of at most `max` bytes in `out` (max + 1 bytes):
 * control characters become spaces, invalid bytes '?', leading and
 * trailing blanks and NULs go.  With `first_line`, stops at CR or LF
 * (sysDescr).  Returns strlen(out). */
size_t ifm_clean(const unsigned char *s, size_t len, char *out, size_t max,
    int first_line);

/* sysUpTime (TimeTicks, 1/100 s) against the previous reading taken
 * `elapsed` seconds before: OK, a wrap of the 32-bit value (after 497
 * days), or a restart of the agent (it went back, or it is smaller than
 * the time since the previous reading). */
enum ifm_uptime { IFM_UPTIME_OK, IFM_UPTIME_WRAP, IFM_UPTIME_REBOOT };
enum ifm_uptime ifm_uptime_check(uint32_t prev, uint32_t cur,
    double elapsed);
/* "12 d 03:04:05" or "00:02:10" */
void ifm_format_ticks(uint32_t ticks, char *buf, size_t len);

/* Counter arithmetic: what a counter grew by since the previous reading.
 * 32-bit: one wrap undone; if the result would mean more than `max` per
 * reading (the port's speed over the interval; 0 = no bound), it was a
 * reset: NAN.  64-bit: going back is a discontinuity: NAN. */
double ifm_delta32(uint32_t prev, uint32_t cur, double max);
double ifm_delta64(uint64_t prev, uint64_t cur);

/* The port's speed in bit/s: ifHighSpeed x 10^6 when the agent has it
 * and it is not 0, unless ifSpeed says the same more precisely (ifSpeed
 * below its 4294967295 ceiling and within 1 Mbit/s); else ifSpeed; else
 * NAN. */
double ifm_speed(const struct ifm_row *);

/* ifName, else ifDescr, else "if" + ifIndex. */
const char *ifm_base_name(const struct ifm_row *, char *buf, size_t len);

/* "up", "down", ... "lowerLayerDown" (ifOperStatus), or "status N". */
const char *ifm_oper_text(long oper, char *buf, size_t len);
const char *ifm_admin_text(long admin, char *buf, size_t len);

/* Which interfaces a target reports. */
struct ifm_select {
	int all;		/* "all" */
	int up;			/* "up": operationally up (and the
				 * round a port goes down, that one) */
	char **names;		/* ifName/ifDescr/ifAlias values */
	size_t nnames;
};
/* 1 if `row` is selected; `was_up_selected`: the port was selected last
 * round and was up then. */
int ifm_selected(const struct ifm_select *, const struct ifm_row *,
    int was_up_selected);
/* The index in sel->names of the first name no row matches, from
 * `from`; -1 when every name matched. */
int ifm_unmatched(const struct ifm_select *, const struct ifm_table *,
    size_t from);

/* What the probe remembers of a port between rounds, by name. */
struct ifm_port {
	char *name;
	uint32_t index;		/* its ifIndex when last seen */
	uint32_t seen;		/* ifm_state.gen when last seen */
	uint32_t have;		/* counters read: 1 << enum ifm_ctr */
	int hc;			/* the octet counters read were 64-bit */
	uint64_t ctr[IFM_NCTR];
	int have_disc;
	uint32_t disc_time;
	long oper, admin;	/* 0 = unknown */
	int selected;
};

struct ifm_state {
	struct ifm_port *ports;	/* sorted by name */
	size_t n, cap;
	uint32_t gen;		/* complete rounds so far */
};

/* One selected interface of a round. */
struct ifm_out {
	const char *name;	/* the port's name (owned by ifm_state) */
	const char *label;	/* ifAlias (owned by the table), or NULL */
	double values[IFM_NVALUES];
};

typedef void ifm_event_fn(void *arg, const char *kind, const char *port,
    const char *reason);

/*
 * A complete round: name the rows (ifName, ifDescr, "if"+ifIndex; when
 * rows share a name, the one that had it last round, else the lowest
 * ifIndex, keeps it and the others get "#ifIndex"), compute the
 * selected ports' values into out[] (ifIndex order; `out` has room for
 * table->n), report port_down/port_up through `ev`, and remember every
 * port for the next round.  `reset`: the counters of the previous round
 * cannot be compared with these (the agent restarted, or the previous
 * round failed): every counter is NAN.  `elapsed`: seconds since the
 * previous complete round: a 32-bit counter may not wrap by more than
 * twice what the port's speed allows in it (bytes, or 64-byte packets
 * for errors and discards; 100 Gbit/s for a port of unknown speed), else
 * it was reset and is NAN.  Returns the number
 * of entries in out[], or -1 without memory.
 */
long ifm_update(struct ifm_state *, const struct ifm_table *,
    const struct ifm_select *, int reset, double elapsed,
    ifm_event_fn *ev, void *arg, struct ifm_out *out);
void ifm_state_free(struct ifm_state *);

#endif /* TRAMON_IFMIB_H */
