# shellcheck shell=bash disable=SC2034
# The simulated Nam Trà My district: the lab's topology, sourced by
# tests/lab/lab.sh (and by tests that want the addresses).  Change the
# table, not the script.
#
#   root namespace (tramond, the browser)
#     tm-noc 198.18.1.100/24 ── tm-lan: br0 (the district LAN switch,
#                                 │      core-sw 198.18.1.2, SNMP agent)
#                                 ├── tm-wan      198.18.1.1   WAN router
#                                 │     br-wan 198.18.2.1/24 (provincial WAN)
#                                 │       └── tm-c01 … tm-c10  198.18.2.11-20
#                                 │     isp1 198.18.3.2/30 ── tm-isp1 198.18.3.1
#                                 │     │                     dc 198.18.4.1/24
#                                 │     │                      └── tm-dc: br0 (the
#                                 │     │                          province data centre)
#                                 │     │        ├── tm-portal   198.18.4.10 (HTTPS 443)
#                                 │     │        ├── tm-qoffice  198.18.4.11 (HTTPS 443)
#                                 │     │        └── tm-motcua   198.18.4.12 (HTTPS 443)
#                                 │     isp2 198.18.3.6/30 ── tm-isp2 198.18.3.5
#                                 └── tm-huyenuy  198.18.1.10  (+ TCP 1720, SIP udp 5060)
#
# Host side: only the veth tm-noc and the route 198.18.0.0/15 via the
# router; `lab.sh down` removes both.  Addresses stay in 198.18.0.0/15
# (RFC 2544 benchmarking space), never anything routable.
#
# The province data centre is reached over the VNPT uplink: the router
# routes 198.18.4.0/24 to the VNPT gateway (tm-isp1), which forwards it
# to the data centre's switch (tm-dc).  So `lab.sh cut uplink-vnpt` (or
# `cut wan`) takes the web services away too, as it would in the
# province; `cut portal` takes one service's port on the data centre's
# switch down.

LAB_NOC_IF=tm-noc
LAB_NOC_ADDR=198.18.1.100/24
LAB_ROUTE=198.18.0.0/15
LAB_ROUTER=198.18.1.1		# the WAN router's LAN address
LAB_WAN_ADDR=198.18.2.1/24	# the router on the provincial WAN bridge

# One site per line:
#   id      target id in conf/tramon.conf (what `lab.sh cut ID` takes)
#   ns      namespace tm-NS; for communes also the router's port name
#   addr    the site's address/prefix
#   attach  lan = a port of the LAN switch (tm-lan br0)
#           switch = the LAN switch itself: its management address, on
#           br0 (ns must be "lan")
#           wan = a port of the WAN bridge (tm-wan br-wan)
#           dc = a port of the data centre's switch (tm-dc br0)
#           p2p:ADDR/LEN = a point-to-point link, ADDR on the router
#   delay jitter loss
#           echod emulation: ms, +- ms (triangular), % of requests lost;
#           "kernel" = the kernel answers (no emulation, ~0 ms)
#   what    free text (shown by `lab.sh status`)
#
# Fibre communes: 15-40 ms, a few ms jitter, 0-0.5 % loss.  Trà Cang
# (microwave) and Trà Linh (3G) have no fibre: 250 +- 60 ms, 5 % loss.
LAB_SITES='
# id             ns       addr            attach             delay  jitter loss  what
core-sw          lan      198.18.1.2/24   switch             kernel -      -     Core switch (SNMP)
wan              wan      198.18.1.1/24   lan                kernel -      -     WAN router
huyen-uy         huyenuy  198.18.1.10/24  lan                kernel -      -     Huyện ủy video conference (H.323 1720)
tra-mai          c01      198.18.2.11/24  wan                18     2      0.1   Xã Trà Mai, fibre
tra-don          c02      198.18.2.12/24  wan                22     3      0     Xã Trà Don, fibre
tra-leng         c03      198.18.2.13/24  wan                31     4      0.3   Xã Trà Leng, fibre
tra-don2         c04      198.18.2.14/24  wan                26     3      0.2   Xã Trà Dơn, fibre
tra-tap          c05      198.18.2.15/24  wan                35     5      0.5   Xã Trà Tập, fibre
tra-cang         c06      198.18.2.16/24  wan                250    60     5     Xã Trà Cang, microwave
tra-linh         c07      198.18.2.17/24  wan                250    60     5     Xã Trà Linh, 3G
tra-nam          c08      198.18.2.18/24  wan                40     4      0.4   Xã Trà Nam, fibre
tra-vinh         c09      198.18.2.19/24  wan                28     3      0.1   Xã Trà Vinh, fibre
tra-van          c10      198.18.2.20/24  wan                15     2      0     Xã Trà Vân, fibre
uplink-vnpt      isp1     198.18.3.1/30   p2p:198.18.3.2/30  6      1      0     VNPT gateway
uplink-viettel   isp2     198.18.3.5/30   p2p:198.18.3.6/30  9      2      0     Viettel gateway
portal           portal   198.18.4.10/24  dc                 kernel -      -     Cổng thông tin điện tử huyện (HTTPS)
qoffice          qoffice  198.18.4.11/24  dc                 kernel -      -     Q-Office (HTTPS)
motcua           motcua   198.18.4.12/24  dc                 kernel -      -     Một cửa điện tử (HTTPS)
'

# The province data centre: its switch (tm-dc, bridge br0) hangs off the
# namespace of LAB_DC_UPLINK (a site attached p2p to the router), whose
# address on it, LAB_DC_GW, is the data centre's gateway; the router
# routes LAB_DC_NET there.
LAB_DC_UPLINK=uplink-vnpt
LAB_DC_NET=198.18.4.0/24
LAB_DC_GW=198.18.4.1/24

# TCP listeners started with the lab: SITE:PORT ...
LAB_TCP='huyen-uy:1720'

# SIP endpoints started with the lab (sipp answering OPTIONS with 200 OK,
# tests/sip/uas_options.xml), UDP: SITE:PORT ...
LAB_SIP='huyen-uy:5060'

# HTTPS servers started with the lab (tests/lab/webd.py), one per site, on
# its address, with a certificate for NAME signed by the lab's CA (made
# by `lab.sh up` in the run directory: `lab.sh ca` prints its file).
# DAYS: the certificate's validity from now on (Q-Office's runs out
# soon, as it does in the province).  The page "/" is a UTF-8 page with
# TITLE as its title and heading.
LAB_WEB='
# site     port  name                       days  title
portal     443   namtramy.example.gov.vn    365   Cổng thông tin điện tử huyện Nam Trà My
qoffice    443   qoffice.example.gov.vn     10    Q-Office – Hệ thống quản lý văn bản và điều hành
motcua     443   motcua.example.gov.vn      365   Một cửa điện tử – huyện Nam Trà My
'

# The core switch's SNMP agent: net-snmp's snmpd in tm-lan, on core-sw's
# address, started by `lab.sh up` when snmpd is installed.  Its interfaces
# are the switch's ports (ifName = the port: p-noc, p-wan, p-huyenuy),
# with real counters.  v1/v2c read-only community; a v3 user (authPriv,
# SHA + AES); a fixed engineID (as text: snmpd makes it
# 0x80001f8804 + the text in hex) so that a manager can be given it.
LAB_SNMP_PORT=161
LAB_SNMP_COMMUNITY=public
LAB_SNMP_V3_USER=tramon
LAB_SNMP_V3_AUTH_PASS=tramon-auth-2026	# SHA
LAB_SNMP_V3_PRIV_PASS=tramon-priv-2026	# AES (128)
LAB_SNMP_ENGINE_ID=core-sw
LAB_SNMP_LOCATION="UBND huyện Nam Trà My, phòng máy chủ"

# ifAlias of the switch's ports (at most 64 bytes of UTF-8)
LAB_SWITCH_PORTS='
# port      alias
p-noc       Phòng CNTT – máy giám sát
p-wan       Bộ định tuyến WAN
p-huyenuy   Huyện ủy – phòng họp trực tuyến
'
