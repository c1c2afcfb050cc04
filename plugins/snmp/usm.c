/*
 * SNMPv3 USM settings; see usm.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <net-snmp/library/lcd_time.h>

#include "usm.h"

struct proto {
	const char *name;
	const oid *oid;
	size_t len;
};

static const struct proto auth_protos[] = {
#ifndef NETSNMP_DISABLE_MD5
	{ "MD5", usmHMACMD5AuthProtocol, OID_LENGTH(usmHMACMD5AuthProtocol) },
#endif
	{ "SHA", usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol) },
	{ "SHA-224", usmHMAC128SHA224AuthProtocol,
	    OID_LENGTH(usmHMAC128SHA224AuthProtocol) },
	{ "SHA-256", usmHMAC192SHA256AuthProtocol,
	    OID_LENGTH(usmHMAC192SHA256AuthProtocol) },
	{ "SHA-384", usmHMAC256SHA384AuthProtocol,
	    OID_LENGTH(usmHMAC256SHA384AuthProtocol) },
	{ "SHA-512", usmHMAC384SHA512AuthProtocol,
	    OID_LENGTH(usmHMAC384SHA512AuthProtocol) },
};

static const struct proto priv_protos[] = {
#ifndef NETSNMP_DISABLE_DES
	{ "DES", usmDESPrivProtocol, OID_LENGTH(usmDESPrivProtocol) },
#endif
#ifdef HAVE_AES
	{ "AES", usmAESPrivProtocol, OID_LENGTH(usmAESPrivProtocol) },
#ifdef NETSNMP_DRAFT_BLUMENTHAL_AES_04
	/* key extension after Blumenthal's draft, as net-snmp agents do;
	 * Cisco's AES-192/256 extend keys differently */
	{ "AES-192", usmAES192PrivProtocol, OID_LENGTH(usmAES192PrivProtocol) },
	{ "AES-256", usmAES256PrivProtocol, OID_LENGTH(usmAES256PrivProtocol) },
#endif
#endif
};

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const level_names[] = {
	[SNMP_SEC_LEVEL_NOAUTH] = "noAuthNoPriv",
	[SNMP_SEC_LEVEL_AUTHNOPRIV] = "authNoPriv",
	[SNMP_SEC_LEVEL_AUTHPRIV] = "authPriv",
};

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

int
usm_level(const char *name)
{
	for (int i = SNMP_SEC_LEVEL_NOAUTH; i <= SNMP_SEC_LEVEL_AUTHPRIV; i++)
		if (ascii_casecmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

const char *
usm_level_name(int level)
{
	if (level >= SNMP_SEC_LEVEL_NOAUTH && level <= SNMP_SEC_LEVEL_AUTHPRIV)
		return level_names[level];
	return "?";
}

static int
lookup(const struct proto *p, size_t n, const char *name, const oid **o,
    size_t *len)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_casecmp(name, p[i].name) == 0) {
			*o = p[i].oid;
			*len = p[i].len;
			return 0;
		}
	return -1;
}

int
usm_auth_proto(const char *name, const oid **proto, size_t *len)
{
	return lookup(auth_protos, NITEMS(auth_protos), name, proto, len);
}

int
usm_priv_proto(const char *name, const oid **proto, size_t *len)
{
	return lookup(priv_protos, NITEMS(priv_protos), name, proto, len);
}

static const char *
names_of(const struct proto *p, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s\"%s\"",
		    i ? ", " : "", p[i].name);
	return buf;
}

const char *
usm_auth_names(void)
{
	static char buf[128];

	return names_of(auth_protos, NITEMS(auth_protos), buf, sizeof(buf));
}

const char *
usm_priv_names(void)
{
	static char buf[128];

	return names_of(priv_protos, NITEMS(priv_protos), buf, sizeof(buf));
}

int
usm_make_ku(const oid *auth, size_t auth_len, const char *pass,
    unsigned char *ku, size_t *ku_len, char *err, size_t errlen)
{
	size_t len = strlen(pass);
	int rc;

	if (len < USM_PASS_MIN) {
		snprintf(err, errlen, "must have at least %d characters (it "
		    "has %zu)", USM_PASS_MIN, len);
		return -1;
	}
	*ku_len = USM_AUTH_KU_LEN;
	rc = generate_Ku(auth, (u_int)auth_len, (const u_char *)pass, len, ku,
	    ku_len);
	if (rc != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "cannot make a key from it: %s",
		    snmp_api_errstring(rc));
		return -1;
	}
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
usm_parse_engine_id(const char *hex, unsigned char *out, size_t *len,
    char *err, size_t errlen)
{
	const char *p = hex;
	size_t n = 0;
	int hi = -1;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p; p++) {
		int v;

		if (*p == ':' || *p == ' ') {
			if (hi != -1)
				break;	/* a separator inside an octet */
			continue;
		}
		if ((v = hexval((unsigned char)*p)) == -1) {
			snprintf(err, errlen, "\"%s\" is not hex (e.g. "
			    "\"0x80001f8880b1a2...\")", hex);
			return -1;
		}
		if (hi == -1) {
			hi = v;
			continue;
		}
		if (n == USM_ENGINE_ID_MAX) {
			snprintf(err, errlen, "is too long: an engineID has "
			    "at most %d octets (%d hex digits)",
			    USM_ENGINE_ID_MAX, 2 * USM_ENGINE_ID_MAX);
			return -1;
		}
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi != -1) {
		snprintf(err, errlen, "\"%s\" has an odd number of hex "
		    "digits", hex);
		return -1;
	}
	if (n < 5) {
		snprintf(err, errlen, "\"%s\" is too short: an engineID has "
		    "5 to %d octets", hex, USM_ENGINE_ID_MAX);
		return -1;
	}
	*len = n;
	return 0;
}

void
usm_format_engine_id(const unsigned char *id, size_t len, char *buf,
    size_t buflen)
{
	size_t o;

	if (buflen < 3) {
		if (buflen)
			buf[0] = '\0';
		return;
	}
	memcpy(buf, "0x", 3);
	o = 2;
	for (size_t i = 0; i < len && o + 3 <= buflen; i++)
		o += (size_t)snprintf(buf + o, buflen - o, "%02x", id[i]);
}

void
usm_fill_session(const struct usm_conf *c, const unsigned char *eid,
    size_t eid_len, netsnmp_session *s)
{
	s->version = SNMP_VERSION_3;
	s->securityModel = SNMP_SEC_MODEL_USM;
	s->securityName = c->user;
	s->securityNameLen = strlen(c->user);
	s->securityLevel = c->level;
	if (c->context != NULL && c->context[0] != '\0') {
		s->contextName = c->context;
		s->contextNameLen = strlen(c->context);
	}
	if (c->level >= SNMP_SEC_LEVEL_AUTHNOPRIV) {
		s->securityAuthProto = (oid *)(uintptr_t)c->auth_proto;
		s->securityAuthProtoLen = c->auth_proto_len;
		memcpy(s->securityAuthKey, c->auth_ku, c->auth_ku_len);
		s->securityAuthKeyLen = c->auth_ku_len;
	}
	if (c->level == SNMP_SEC_LEVEL_AUTHPRIV) {
		s->securityPrivProto = (oid *)(uintptr_t)c->priv_proto;
		s->securityPrivProtoLen = c->priv_proto_len;
		memcpy(s->securityPrivKey, c->priv_ku, c->priv_ku_len);
		s->securityPrivKeyLen = c->priv_ku_len;
	}
	/* known up front: no blocking probe inside the first send */
	s->securityEngineID = (u_char *)(uintptr_t)eid;
	s->securityEngineIDLen = eid_len;
	s->contextEngineID = (u_char *)(uintptr_t)eid;
	s->contextEngineIDLen = eid_len;
}

void
usm_fill_probe_session(netsnmp_session *s)
{
	static char empty[] = "";

	s->version = SNMP_VERSION_3;
	s->securityModel = SNMP_SEC_MODEL_USM;
	s->securityName = empty;
	s->securityNameLen = 0;
	s->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
}

netsnmp_pdu *
usm_probe_pdu(void)
{
	netsnmp_pdu *pdu;

	/* what net-snmp's own (blocking) discovery sends: a GET without
	 * varbinds from the empty user; the agent answers with a report
	 * (usmStatsUnknownEngineIDs) that carries its engineID */
	if ((pdu = snmp_pdu_create(SNMP_MSG_GET)) == NULL)
		return NULL;
	pdu->version = SNMP_VERSION_3;
	pdu->securityModel = SNMP_SEC_MODEL_USM;
	pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
	if ((pdu->securityName = strdup("")) == NULL) {
		snmp_free_pdu(pdu);
		return NULL;
	}
	pdu->securityNameLen = 0;
	return pdu;
}

void
usm_forget_time(const unsigned char *eid, size_t eid_len)
{
	if (eid_len > 0)
		set_enginetime(eid, (u_int)eid_len, 0, 0, 1);
}

/* Whose keys net-snmp's entry for (engineID, user) holds now. */
struct owner {
	struct owner *next;
	unsigned char eid[USM_ENGINE_ID_MAX];
	size_t eid_len;
	char *user;
	int level;
	const oid *auth_proto, *priv_proto;
	unsigned char auth_ku[USM_AUTH_KU_LEN];
	size_t auth_ku_len;
	unsigned char priv_ku[USM_PRIV_KU_LEN];
	size_t priv_ku_len;
};

static struct owner *owners;

static int
same_keys(const struct owner *o, const struct usm_conf *c)
{
	return o->level == c->level && o->auth_proto == c->auth_proto &&
	    o->priv_proto == c->priv_proto &&
	    o->auth_ku_len == c->auth_ku_len &&
	    o->priv_ku_len == c->priv_ku_len &&
	    memcmp(o->auth_ku, c->auth_ku, c->auth_ku_len) == 0 &&
	    memcmp(o->priv_ku, c->priv_ku, c->priv_ku_len) == 0;
}

void
usm_own(netsnmp_session *ss, const struct usm_conf *c)
{
	struct usmUser *u;
	struct owner *o;

	if (c == NULL || ss == NULL || ss->version != SNMP_VERSION_3 ||
	    ss->securityNameLen == 0 || ss->securityEngineIDLen == 0 ||
	    ss->securityEngineIDLen > USM_ENGINE_ID_MAX)
		return;
	for (o = owners; o != NULL; o = o->next)
		if (o->eid_len == ss->securityEngineIDLen &&
		    memcmp(o->eid, ss->securityEngineID, o->eid_len) == 0 &&
		    strcmp(o->user, c->user) == 0)
			break;
	if (o != NULL && same_keys(o, c))
		return;
	if (o == NULL) {
		if ((o = calloc(1, sizeof(*o))) == NULL ||
		    (o->user = strdup(c->user)) == NULL) {
			free(o);
			return;
		}
		memcpy(o->eid, ss->securityEngineID, ss->securityEngineIDLen);
		o->eid_len = ss->securityEngineIDLen;
		o->next = owners;
		owners = o;
	}
	if ((u = usm_get_user(ss->securityEngineID, ss->securityEngineIDLen,
	    c->user)) != NULL) {
		usm_remove_user(u);
		usm_free_user(u);
	}
	ss->flags &= ~SNMP_FLAGS_USER_CREATED;
	if (usm_create_user_from_session(ss) != SNMPERR_SUCCESS)
		return;		/* the send will say what is wrong */
	o->level = c->level;
	o->auth_proto = c->auth_proto;
	o->priv_proto = c->priv_proto;
	memcpy(o->auth_ku, c->auth_ku, c->auth_ku_len);
	o->auth_ku_len = c->auth_ku_len;
	memcpy(o->priv_ku, c->priv_ku, c->priv_ku_len);
	o->priv_ku_len = c->priv_ku_len;
}

void
usm_owners_free(void)
{
	while (owners != NULL) {
		struct owner *o = owners;

		owners = o->next;
		free(o->user);
		explicit_bzero(o, sizeof(*o));
		free(o);
	}
}

void
usm_conf_clear(struct usm_conf *c)
{
	free(c->user);
	free(c->context);
	/* the keys stand for the passphrases */
	explicit_bzero(c, sizeof(*c));
}
