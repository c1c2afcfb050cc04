#!/usr/bin/env bash
#
# rrdcached_shared.sh over TCP: two tramonds share one rrdcached on
# 127.0.0.1:PORT (-b BASE -B) and name their files relative to BASE
# (daemon.rrdcached_base).
#
RRDC_TRANSPORT=tcp
. "$top_srcdir/tests/integration/rrdcached_shared.sh"
