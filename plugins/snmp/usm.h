/*
 * SNMPv3 USM settings of a target: protocol names to net-snmp's OIDs,
 * passphrases to keys (Ku, made once at configure time, so that the
 * passphrases themselves are not kept), and engineIDs in hex.
 *
 * Include <net-snmp/net-snmp-config.h> and <net-snmp/net-snmp-includes.h>
 * first.
 */
#ifndef TRAMON_USM_H
#define TRAMON_USM_H

#include <stddef.h>

#define USM_ENGINE_ID_MAX	32	/* SnmpEngineID: 5..32 octets */
#define USM_PASS_MIN		8	/* RFC 3414, and generate_Ku() */

struct usm_conf {
	char *user;
	char *context;		/* "" = default context */
	int level;		/* SNMP_SEC_LEVEL_* */
	const oid *auth_proto;	/* NULL at noAuthNoPriv */
	size_t auth_proto_len;
	const oid *priv_proto;	/* NULL below authPriv */
	size_t priv_proto_len;
	unsigned char auth_ku[USM_AUTH_KU_LEN];
	size_t auth_ku_len;
	unsigned char priv_ku[USM_PRIV_KU_LEN];
	size_t priv_ku_len;
	/* the agent's authoritative engineID from the configuration, or
	 * none (0): then it is discovered */
	unsigned char engine_id[USM_ENGINE_ID_MAX];
	size_t engine_id_len;
};

/* "noAuthNoPriv", "authNoPriv", "authPriv" -> SNMP_SEC_LEVEL_*; -1. */
int usm_level(const char *name);
const char *usm_level_name(int level);

/* "MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"; 0 or -1. */
int usm_auth_proto(const char *name, const oid **proto, size_t *len);
/* "DES", "AES", "AES-192", "AES-256"; 0 or -1 (also when this build of
 * net-snmp lacks it). */
int usm_priv_proto(const char *name, const oid **proto, size_t *len);
/* The names accepted, for error messages: "MD5, SHA, ..." */
const char *usm_auth_names(void);
const char *usm_priv_names(void);

/* Ku from a passphrase with the auth protocol's hash (the privacy key
 * too is made with the auth hash).  0, or -1 with `err` filled. */
int usm_make_ku(const oid *auth, size_t auth_len, const char *pass,
    unsigned char *ku, size_t *ku_len, char *err, size_t errlen);

/* "0x80001f8880..." or "80:00:1f:88:80..." -> octets; 0, or -1 with
 * `err` filled (not hex, odd digits, not 5..32 octets). */
int usm_parse_engine_id(const char *hex, unsigned char *out, size_t *len,
    char *err, size_t errlen);
/* "0x80001f88..." */
void usm_format_engine_id(const unsigned char *id, size_t len, char *buf,
    size_t buflen);

/* Fill a session for `conf` with the agent's engineID `eid`: user,
 * level, protocols, keys, context, engineID.  The session points into
 * `conf` (user, context) and `eid`: snmp_sess_open() copies them. */
void usm_fill_session(const struct usm_conf *conf, const unsigned char *eid,
    size_t eid_len, netsnmp_session *s);

/* A session that only asks the agent for its engineID (RFC 3414 4.):
 * the empty user, noAuthNoPriv. */
void usm_fill_probe_session(netsnmp_session *s);
/* The request for it; NULL without memory. */
netsnmp_pdu *usm_probe_pdu(void);

/* Forget what we know of the agent's engineBoots and engineTime: the
 * next request gets them again (a notInTimeWindow report, then net-snmp
 * sends it again).  An agent that restarts without counting engineBoots
 * up has a clock behind ours, which RFC 3414 has us ignore for good. */
void usm_forget_time(const unsigned char *eid, size_t eid_len);

/*
 * net-snmp keeps one USM user per (engineID, user name) for the whole
 * process, and the first session to use it sets its protocols and keys:
 * a second target with the same user on the same agent but another
 * passphrase (a wrong one, say) would silently use the first one's.
 * Before every call into net-snmp for a session, usm_own() makes that
 * entry the session's: if its keys are not `conf`'s, it is made again
 * from the session.  usm_owners_free() at shutdown.
 */
void usm_own(netsnmp_session *ss, const struct usm_conf *conf);
void usm_owners_free(void);

void usm_conf_clear(struct usm_conf *);

#endif /* TRAMON_USM_H */
